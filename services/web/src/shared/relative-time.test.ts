import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ageOf, formatAgo, formatWhen } from './relative-time.ts'

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

test('formatWhen: just now, minutes and hours ago, then the day', () => {
  const now = Date.parse('2026-03-05T12:00:00.000Z')
  assert.equal(formatWhen('2026-03-05T11:59:30.000Z', now), 'just now')
  assert.equal(formatWhen('2026-03-05T12:00:03.000Z', now), 'just now', 'a clock slightly ahead')
  assert.equal(formatWhen('2026-03-05T11:56:00.000Z', now), '4 min ago')
  assert.equal(formatWhen('2026-03-05T01:00:00.000Z', now), '11 h ago')
  assert.equal(formatWhen('2026-03-01T08:00:00.000Z', now, 'UTC'), '1 Mar')
  assert.equal(formatWhen('whenever', now), '')
})
