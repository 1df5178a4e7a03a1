import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTracks } from '@convoy/tracks'
import { createFleet, positionAt } from './fleet.ts'
import { createRoute } from './route.ts'

const square = [
  { lat: 53, lng: -1.5 },
  { lat: 53.001, lng: -1.5 },
  { lat: 53.001, lng: -1.4983 },
  { lat: 53, lng: -1.4983 },
  { lat: 53, lng: -1.5 },
]
const close = (a: { lat: number; lng: number }, b: { lat: number; lng: number }, epsilon = 1e-9) =>
  Math.abs(a.lat - b.lat) < epsilon && Math.abs(a.lng - b.lng) < epsilon

/** Metres between two nearby points (equirectangular, plenty at this scale). */
const metres = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) =>
  Math.hypot((b.lat - a.lat) * 111_195, (b.lng - a.lng) * 111_195 * Math.cos((a.lat * Math.PI) / 180))

test('a route interpolates along its points and wraps around', () => {
  const route = createRoute(square)
  // Two sides of 0.001° latitude (111.2 m), two of 0.0017° longitude at 53° N (113.8 m).
  assert.ok(Math.abs(route.length - 450) < 1, `length ${route.length}`)
  const halfway = route.at(111.195 / 2)
  assert.ok(Math.abs(halfway.lat - 53.0005) < 1e-6 && halfway.lng === -1.5)
  assert.ok(close(route.at(route.length + 10), route.at(10)))
})

test('a track that does not end where it starts is closed, so a lap never jumps', () => {
  const open = createRoute(square.slice(0, 4))
  assert.ok(Math.abs(open.length - 450) < 1, 'the leg back to the start is part of the route')
  assert.ok(close(open.at(open.length - 0.01), square[0]!, 1e-6))
})

test('a route sees the corner ahead', () => {
  const route = createRoute(square)
  assert.ok(route.turnAhead(10, 40) < 1, 'straight at the start of a side')
  assert.ok(route.turnAhead(90, 40) > 60, 'corner ahead near the end of a side')
})

test('one vehicle per recorded track plus synthetic ones, driving at realistic speeds with no jump', async () => {
  const fleet = createFleet(await loadTracks(), 38, 100)
  assert.equal(fleet.length, 138)
  assert.equal(fleet[0]!.name, 'City Truck')
  assert.equal(fleet[38]!.name, 'Load 00001')
  assert.equal(new Set(fleet.map((v) => v.name)).size, 138)
  for (const vehicle of fleet) {
    // A whole lap and a bit, second by second: around the lap's end too.
    const seconds = Math.ceil(vehicle.profile.seconds) + 5
    for (let t = 0; t < seconds; t++) {
      const kmh = metres(positionAt(vehicle, t), positionAt(vehicle, t + 1)) * 3.6
      assert.ok(kmh < 60, `${vehicle.name} at ${t} s drives ${kmh.toFixed(1)} km/h`)
    }
    const average = (vehicle.profile.route.length / vehicle.profile.seconds) * 3.6
    assert.ok(average > 10 && average < 55, `${vehicle.name} averages ${average.toFixed(1)} km/h`)
  }
})

test('a restarted simulator puts every vehicle where the previous one would have', async () => {
  const tracks = await loadTracks()
  const before = createFleet(tracks, 38, 5)
  const after = createFleet(tracks, 38, 5)
  const now = Date.parse('2026-11-21T12:00:00Z') / 1000
  for (let i = 0; i < before.length; i++)
    assert.ok(close(positionAt(before[i]!, now), positionAt(after[i]!, now)))
})
