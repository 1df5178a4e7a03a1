import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Position } from '../../shared/types.ts'
import { bandOf, localDate, positionAt, speedRuns, wallTime, zonedTime } from './replay.ts'

const at = (seconds: number, lat: number, speedKmh = 36): Position => ({
  lat,
  lng: -1.47,
  speedKmh,
  timestamp: new Date(Date.UTC(2026, 2, 1, 8, 0, seconds)).toISOString(),
})
const route = [at(0, 53.0, 0), at(10, 53.001), at(30, 53.001, 0), at(40, 53.002, 72)]
const times = route.map((position) => Date.parse(position.timestamp))

test('the replay is where the vehicle was, moving uniformly between kept positions', () => {
  const halfway = positionAt(route, times, times[0]! + 5_000)!
  assert.ok(Math.abs(halfway.lat - 53.0005) < 1e-9)
  assert.equal(halfway.speedKmh, 36)
  assert.deepEqual(positionAt(route, times, times[0]! - 1_000), {
    lat: 53.0,
    lng: -1.47,
    speedKmh: 0,
    time: times[0],
  })
  const end = positionAt(route, times, times[3]! + 60_000)!
  assert.equal(end.lat, 53.002, 'after the last position, it stays there')
  assert.equal(positionAt([], [], times[0]!), null)
})

test('the route is cut into runs of one speed band that meet', () => {
  assert.equal(bandOf(0), 0)
  assert.equal(bandOf(36), 2)
  assert.equal(bandOf(200), 4)
  const runs = speedRuns(route)
  assert.deepEqual(
    runs.map((run) => run.band),
    [2, 0, 3],
  )
  assert.deepEqual(runs[1]!.points[0], runs[0]!.points.at(-1), 'each run starts where the last ended')
  assert.equal(speedRuns([route[0]!]).length, 0, 'one position draws nothing')
})

test('wall-clock times of a time zone, clock changes included', () => {
  // London: GMT in winter, BST (+1) in summer; the clocks went forward at 01:00 UTC on 29 March 2026.
  assert.equal(zonedTime('2026-01-15T08:30', 'Europe/London'), Date.parse('2026-01-15T08:30:00Z'))
  assert.equal(zonedTime('2026-07-15T08:30', 'Europe/London'), Date.parse('2026-07-15T07:30:00Z'))
  assert.equal(zonedTime('2026-12-05T09:00', 'Asia/Tokyo'), Date.parse('2026-12-05T00:00:00Z'))
  assert.equal(wallTime(Date.parse('2026-07-15T07:30:00Z'), 'Europe/London'), '2026-07-15T08:30')
  assert.equal(localDate(Date.parse('2026-12-05T16:00:00Z'), 'Asia/Tokyo'), '2026-12-06')
  assert.ok(Number.isNaN(zonedTime('not a time', 'UTC')))
})
