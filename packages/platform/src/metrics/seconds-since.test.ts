import assert from 'node:assert/strict'
import { test } from 'node:test'
import { secondsSince } from './index.ts'

test('secondsSince: the age of an epoch time or an RFC 3339 text, in seconds', () => {
  const now = Date.parse('2026-12-05T01:00:10.000Z')
  assert.equal(secondsSince(now - 2500, now), 2.5)
  assert.equal(secondsSince('2026-12-05T01:00:00.000Z', now), 10)
})

test('secondsSince: a time ahead of this clock is 0 seconds old, never negative', () => {
  const now = Date.parse('2026-12-05T01:00:10.000Z')
  assert.equal(secondsSince('2026-12-05T01:00:12.000Z', now), 0)
})
