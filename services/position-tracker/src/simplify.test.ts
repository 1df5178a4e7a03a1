import assert from 'node:assert/strict'
import { test } from 'node:test'
import { distanceMetres } from '@convoy/geo'
import type { TimedPoint } from '@convoy/geo'
import { positionAt, simplify, synchronisedDistanceMetres } from './simplify.ts'

const START = Date.UTC(2026, 2, 1)
const NORTH_METRE = 1 / 111_195
/** Metres east at latitude 53. */
const EAST_METRE = 1 / (111_195 * Math.cos((53 * Math.PI) / 180))

/** A vehicle `north` and `east` metres from 53 N, 1.5 W, `seconds` after START. */
const at = (seconds: number, north: number, east = 0): TimedPoint => ({
  lat: 53 + north * NORTH_METRE,
  lng: -1.5 + east * EAST_METRE,
  time: START + seconds * 1000,
})

/** The same numbers every run (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A day of 1 Hz positions: a van that turns, speeds up and slows down (0–70 km/h), stops now and
 * then for a few minutes, with GPS noise of a metre or two, as a tracker would store it.
 */
function syntheticDay(seed = 1): TimedPoint[] {
  const next = random(seed)
  const positions: TimedPoint[] = []
  let north = 0
  let east = 0
  let heading = 0
  let speed = 10
  let target = 12
  let stoppedFor = 0
  for (let s = 0; s < 86_400; s++) {
    if (stoppedFor > 0) stoppedFor--
    else {
      if (next() < 0.02) target = next() * 19.4
      if (next() < 0.0005) stoppedFor = 60 + Math.floor(next() * 600)
      speed += Math.max(-3, Math.min(1.5, target - speed))
      heading += (next() - 0.5) * 0.2 + (next() < 0.005 ? (next() - 0.5) * Math.PI : 0)
      north += Math.cos(heading) * speed
      east += Math.sin(heading) * speed
    }
    positions.push(at(s, north + (next() - 0.5) * 3, east + (next() - 0.5) * 3))
  }
  return positions
}

/** The SED of every dropped position from the kept route, at its time. */
function droppedErrors(positions: TimedPoint[], kept: number[]): number[] {
  const errors: number[] = []
  for (let k = 1; k < kept.length; k++) {
    const a = positions[kept[k - 1]!]!
    const b = positions[kept[k]!]!
    for (let i = kept[k - 1]! + 1; i < kept[k]!; i++)
      errors.push(synchronisedDistanceMetres(positions[i]!, a, b))
  }
  return errors
}

test('where a uniform drive puts the vehicle: linear in time, the short way across the antimeridian', () => {
  const a = at(0, 0)
  const b = at(10, 100)
  assert.ok(distanceMetres(positionAt(a, b, START + 2500), at(0, 25)) < 1e-6)
  assert.deepEqual(positionAt(a, b, a.time), { lat: a.lat, lng: a.lng })
  const west = { lat: 0, lng: 179.9, time: 0 }
  const east = { lat: 0, lng: -179.9, time: 1000 }
  assert.ok(Math.abs(positionAt(west, east, 500).lng) > 179.99, 'across 180°, not round the world')
  assert.deepEqual(positionAt(west, west, 0), { lat: 0, lng: 179.9 }, 'two positions at one time')
})

test('the synchronised distance counts a change of speed, not only a turn', () => {
  // On the line from a to b, but where the vehicle is 5 s into 10 s at 20 m, not 50 m.
  assert.equal(Math.round(synchronisedDistanceMetres(at(5, 20), at(0, 0), at(10, 100))), 30)
})

test('two positions or fewer are kept as they are', () => {
  assert.deepEqual(simplify([], { toleranceMetres: 10, maxKept: 100 }), { kept: [], maxErrorMetres: 0 })
  assert.deepEqual(simplify([at(0, 0), at(1, 5)], { toleranceMetres: 10, maxKept: 100 }).kept, [0, 1])
})

test('a uniform straight drive comes down to its first and last positions', () => {
  const drive = Array.from({ length: 600 }, (_, s) => at(s, s * 10))
  const { kept, maxErrorMetres } = simplify(drive, { toleranceMetres: 1, maxKept: 100 })
  assert.deepEqual(kept, [0, 599])
  assert.ok(maxErrorMetres < 1e-6)
})

test('a stop on a straight road is kept, so a replay waits there: the path alone would drop it', () => {
  // 100 s north at 10 m/s, 100 s standing at 1,000 m, 100 s on at 10 m/s.
  const drive = Array.from({ length: 301 }, (_, s) =>
    at(s, s <= 100 ? s * 10 : s <= 200 ? 1000 : 1000 + (s - 200) * 10),
  )
  const { kept } = simplify(drive, { toleranceMetres: 5, maxKept: 100 })
  assert.deepEqual(kept, [0, 100, 200, 300])
})

test('a synthetic day of 1 Hz positions: first and last kept, every dropped position within the tolerance at its time', () => {
  const day = syntheticDay()
  const { kept, maxErrorMetres } = simplify(day, { toleranceMetres: 10, maxKept: 50_000 })
  assert.equal(kept[0], 0)
  assert.equal(kept.at(-1), day.length - 1)
  assert.ok(
    kept.every((index, k) => k === 0 || index > kept[k - 1]!),
    'ascending, each once',
  )
  const errors = droppedErrors(day, kept)
  assert.equal(errors.length, day.length - kept.length)
  assert.ok(Math.max(...errors) <= 10, `worst ${Math.max(...errors)} m`)
  assert.equal(maxErrorMetres, Math.max(...errors), 'the worst dropped position is reported')
  assert.ok(kept.length < day.length / 5, `kept ${kept.length} of ${day.length}`)
})

test('the cap on kept positions wins over the tolerance, and the error it leaves is reported', () => {
  const day = syntheticDay(2)
  const free = simplify(day, { toleranceMetres: 2, maxKept: 1_000_000 })
  const capped = simplify(day, { toleranceMetres: 2, maxKept: 1000 })
  assert.ok(free.kept.length > 1000)
  assert.equal(capped.kept.length, 1000)
  assert.deepEqual([capped.kept[0], capped.kept.at(-1)], [0, day.length - 1])
  const worst = Math.max(...droppedErrors(day, capped.kept))
  assert.ok(worst > 2)
  assert.equal(capped.maxErrorMetres, worst)
})
