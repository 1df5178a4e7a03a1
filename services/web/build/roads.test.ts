import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTracks } from '@convoy/tracks'
import { buildRoadMap } from './roads.ts'

test('the road drawing of the shipped tracks is small and centred on Sheffield', async () => {
  const tracks = await loadTracks()
  const roadMap = buildRoadMap(tracks)
  const bytes = Buffer.byteLength(JSON.stringify(roadMap))
  assert.equal(roadMap.roads.length, 38)
  assert.ok(bytes < 150_000, `${bytes} bytes`)
  const before = tracks.reduce((sum, track) => sum + track.points.length, 0)
  const after = roadMap.roads.reduce((sum, road) => sum + road.length, 0)
  assert.ok(after < before / 5, `${before} → ${after} points`)
  const [[south, west], [north, east]] = roadMap.home
  assert.ok(south > 53.2 && north < 53.5 && west > -1.7 && east < -1.3, JSON.stringify(roadMap.home))
  assert.ok(roadMap.bounds[0][0] < 51.6, 'the London track is still drawn')
})

test('coordinates are rounded to about a metre', () => {
  const roadMap = buildRoadMap([
    {
      name: 'A',
      points: [
        { lat: 53.123456789, lng: -1.987654321 },
        { lat: 53.2, lng: -1.9 },
      ],
    },
  ])
  assert.deepEqual(roadMap.roads[0]?.[0], [53.12346, -1.98765])
})
