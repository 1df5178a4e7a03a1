import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatBytes, formatProgress } from './byte-size.ts'

const MB = 1024 * 1024

test('formats sizes in binary units, one decimal while small', () => {
  assert.equal(formatBytes(0), '0 B')
  assert.equal(formatBytes(512), '512 B')
  assert.equal(formatBytes(1023), '1023 B')
  assert.equal(formatBytes(1024), '1 KB')
  assert.equal(formatBytes(5_632), '5.5 KB')
  assert.equal(formatBytes(12_800), '13 KB')
  assert.equal(formatBytes(4.5 * MB), '4.5 MB')
  assert.equal(formatBytes(200 * MB), '200 MB')
  assert.equal(formatBytes(1234 * MB), '1.2 GB')
})

test('an unreadable size is blank', () => {
  assert.equal(formatBytes(Number.NaN), '')
  assert.equal(formatBytes(-1), '')
})

test('progress in percent and in the unit of the whole file', () => {
  assert.deepEqual(formatProgress(0, 10 * MB), { percent: 0, sent: '0 of 10 MB' })
  assert.deepEqual(formatProgress(4.5 * MB, 10 * MB), { percent: 45, sent: '4.5 of 10 MB' })
  assert.deepEqual(formatProgress(300 * 1024, 2 * MB), { percent: 14, sent: '0.3 of 2 MB' })
  assert.deepEqual(formatProgress(10 * MB, 10 * MB), { percent: 100, sent: '10 of 10 MB' })
})

test('progress is 100% only when every byte is sent, and stays within bounds', () => {
  assert.equal(formatProgress(9_999, 10_000).percent, 99)
  assert.equal(formatProgress(20_000, 10_000).percent, 100)
  assert.equal(formatProgress(-5, 10_000).percent, 0)
  assert.deepEqual(formatProgress(2048, 0), { percent: 0, sent: '2 KB' })
})
