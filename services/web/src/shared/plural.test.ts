import assert from 'node:assert/strict'
import { test } from 'node:test'
import { plural } from './plural.ts'

test('a count is followed by the right form of its noun', () => {
  const count = (n: number) => `${n} ${plural(n, 'vehicle')}`
  assert.equal(count(1), '1 vehicle')
  assert.equal(count(38), '38 vehicles')
  assert.equal(count(0), '0 vehicles')
  assert.equal(count(2), '2 vehicles')
  assert.equal(plural(3, 'bus', 'buses'), 'buses')
})
