import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ageOf, formatAgo } from './relative-time.ts'

test('formats ages from seconds to days', () => {
  assert.equal(formatAgo(0), 'now')
  assert.equal(formatAgo(999), 'now')
  assert.equal(formatAgo(3_400), '3 s ago')
  assert.equal(formatAgo(59_999), '59 s ago')
  assert.equal(formatAgo(60_000), '1 min ago')
  assert.equal(formatAgo(59 * 60_000), '59 min ago')
  assert.equal(formatAgo(2 * 3_600_000 + 5), '2 h ago')
  assert.equal(formatAgo(3 * 86_400_000), '3 d ago')
})

test('a timestamp slightly in the future (clock skew) or unreadable is "now"', () => {
  assert.equal(formatAgo(-4_000), 'now')
  assert.equal(formatAgo(Number.NaN), 'now')
})

test('ageOf measures from an ISO timestamp', () => {
  assert.equal(ageOf('2024-05-01T12:00:00.000Z', Date.parse('2024-05-01T12:00:07.500Z')), 7_500)
  assert.ok(Number.isNaN(ageOf('yesterday-ish', Date.now())))
})
