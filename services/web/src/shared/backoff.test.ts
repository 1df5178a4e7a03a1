import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay } from './backoff.ts'

test('grows exponentially from the base delay and stops at the cap', () => {
  const highest = (attempt: number) => backoffDelay(attempt, { random: () => 0.999999 })
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(highest), [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000])
})

test('jitter keeps at least half of the delay', () => {
  assert.equal(backoffDelay(3, { random: () => 0 }), 2000)
  for (let i = 0; i < 100; i++) {
    const delay = backoffDelay(3)
    assert.ok(delay >= 2000 && delay <= 4000, String(delay))
  }
})

test('honours custom base and cap', () => {
  assert.equal(backoffDelay(10, { baseMs: 100, maxMs: 3000, random: () => 0 }), 1500)
  assert.equal(backoffDelay(-1, { baseMs: 100, random: () => 0 }), 50)
})
