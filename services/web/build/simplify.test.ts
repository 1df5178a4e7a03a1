import assert from 'node:assert/strict'
import { test } from 'node:test'
import { simplify } from './simplify.ts'

// ~1.1 m of latitude per 1e-5 degree.
const north = (metres: number, east = 0) => ({ lat: 53 + metres / 111_195, lng: -1.5 + east / 66_920 })

test('drops points that deviate less than the tolerance and keeps the ends', () => {
  const wobbly = [north(0), north(100, 2), north(200, -2), north(300, 1), north(400)]
  assert.deepEqual(simplify(wobbly, 5), [wobbly[0], wobbly[4]])
})

test('keeps corners', () => {
  const corner = [north(0), north(50), north(100), north(100, 50), north(100, 100)]
  assert.deepEqual(simplify(corner, 5), [corner[0], corner[2], corner[4]])
})

test('a tolerance of zero keeps every point that is not exactly on a line', () => {
  const zigzag = [north(0), north(10, 3), north(20), north(30, 3)]
  assert.deepEqual(simplify(zigzag, 0), zigzag)
})

test('short lines come back unchanged', () => {
  assert.deepEqual(simplify([], 5), [])
  assert.deepEqual(simplify([north(0)], 5), [north(0)])
})

test('handles long, winding tracks without recursion limits', () => {
  const winding = Array.from({ length: 100_000 }, (_, i) => north(i / 2, 200 * Math.sin(i / 500)))
  const simplified = simplify(winding, 5)
  assert.ok(simplified.length > 50 && simplified.length < 2000, String(simplified.length))
})
