import assert from 'node:assert/strict'
import { test } from 'node:test'
import { motion } from './motion.ts'

const at = (lat: number, lng: number, seconds: number) => ({ lat, lng, time: seconds * 1000 })

test('speed from two positions: 100 m north in 10 s is 36 km/h heading 0', () => {
  const north100m = 100 / 111_195
  assert.deepEqual(motion(at(53, -1.5, 0), at(53 + north100m, -1.5, 10)), { speedKmh: 36, heading: 0 })
})

test('no previous position, a position out of order or standing still gives speed 0 and keeps the heading', () => {
  assert.deepEqual(motion(undefined, at(53, -1.5, 0), 45), { speedKmh: 0, heading: 45 })
  assert.deepEqual(motion(at(53, -1.5, 10), at(53.1, -1.5, 5), 45), { speedKmh: 0, heading: 45 })
  assert.deepEqual(motion(at(53, -1.5, 0), at(53, -1.5, 5), 45), { speedKmh: 0, heading: 45 })
})
