import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTracks } from '@convoy/tracks'
import { createFleet, drive } from './fleet.ts'
import { createRoute } from './route.ts'

const square = [
  { lat: 53, lng: -1.5 },
  { lat: 53.001, lng: -1.5 },
  { lat: 53.001, lng: -1.4983 },
  { lat: 53, lng: -1.4983 },
  { lat: 53, lng: -1.5 },
]

test('a route interpolates along its points and wraps around', () => {
  const route = createRoute(square)
  // Two sides of 0.001° latitude (111.2 m), two of 0.0017° longitude at 53° N (113.8 m).
  assert.ok(Math.abs(route.length - 450) < 1, `length ${route.length}`)
  const halfway = route.at(111.195 / 2)
  assert.ok(Math.abs(halfway.lat - 53.0005) < 1e-6 && halfway.lng === -1.5)
  const wrapped = route.at(route.length + 10)
  assert.ok(
    Math.abs(wrapped.lat - route.at(10).lat) < 1e-9 && Math.abs(wrapped.lng - route.at(10).lng) < 1e-9,
  )
})

test('a route sees the corner ahead', () => {
  const route = createRoute(square)
  assert.ok(route.turnAhead(10, 40) < 1, 'straight at the start of a side')
  assert.ok(route.turnAhead(90, 40) > 60, 'corner ahead near the end of a side')
})

test('one vehicle per recorded track, plus synthetic ones, all with realistic speeds', async () => {
  const tracks = await loadTracks()
  const fleet = createFleet(tracks, 38, 100)
  assert.equal(fleet.length, 138)
  assert.equal(fleet[0]!.name, 'City Truck')
  assert.equal(fleet[38]!.name, 'Load 00001')
  assert.equal(new Set(fleet.map((v) => v.name)).size, 138)
  for (const vehicle of fleet) {
    for (let s = 0; s < 120; s++) drive(vehicle, 1)
    const kmh = vehicle.speed * 3.6
    assert.ok(kmh > 5 && kmh <= 55, `${vehicle.name} drives at ${kmh.toFixed(1)} km/h`)
  }
})
