import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compassPoint, STALE_MS, statusOf } from './vehicle-status.ts'

test('compass points', () => {
  assert.deepEqual([0, 22, 23, 90, 180, 269, 315, 359, 360, -45].map(compassPoint), [
    'N',
    'N',
    'NE',
    'E',
    'S',
    'W',
    'NW',
    'N',
    'N',
    'NW',
  ])
})

test('moving, stopped or stale', () => {
  const now = Date.parse('2024-05-01T12:00:00Z')
  const at = (ageMs: number, speedKmh: number) => ({
    name: 'Van',
    lat: 0,
    lng: 0,
    heading: 0,
    speedKmh,
    timestamp: new Date(now - ageMs).toISOString(),
  })
  assert.equal(statusOf(at(2_000, 40), now), 'moving')
  assert.equal(statusOf(at(2_000, 0.4), now), 'stopped')
  assert.equal(statusOf(at(STALE_MS + 1, 40), now), 'stale')
})
