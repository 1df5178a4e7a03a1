import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTracks } from '@convoy/tracks'
import { createFleet, positionAt } from './simulated-fleet.ts'

const close = (a: { lat: number; lng: number }, b: { lat: number; lng: number }, epsilon = 1e-9) =>
  Math.abs(a.lat - b.lat) < epsilon && Math.abs(a.lng - b.lng) < epsilon

/** Metres between two nearby points (equirectangular, plenty at this scale). */
const metres = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) =>
  Math.hypot((b.lat - a.lat) * 111_195, (b.lng - a.lng) * 111_195 * Math.cos((a.lat * Math.PI) / 180))

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
    const average = (vehicle.profile.circuit.length / vehicle.profile.seconds) * 3.6
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
