import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTracks, parseTrack, vehicleName } from './index.ts'

test('names vehicles from file names', () => {
  assert.equal(vehicleName('city_truck'), 'City Truck')
  assert.equal(vehicleName('express_delivery1'), 'Express Delivery1')
})

test('parses points and ignores other lines', () => {
  assert.deepEqual(parseTrack('lat="53.5" lon="-1.25"\n\ngarbage\nlat="53.6" lon="-1.5"\n'), [
    { lat: 53.5, lng: -1.25 },
    { lat: 53.6, lng: -1.5 },
  ])
})

test('ships the 38 recorded tracks', async () => {
  const tracks = await loadTracks()
  assert.equal(tracks.length, 38)
  assert.equal(new Set(tracks.map((t) => t.name)).size, 38)
  for (const track of tracks) {
    assert.ok(track.points.length > 100, `${track.name} has points`)
    for (const p of track.points) assert.ok(p.lat > 50 && p.lat < 55 && p.lng > -2.5 && p.lng < 0.5)
  }
})
