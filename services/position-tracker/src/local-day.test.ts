import assert from 'node:assert/strict'
import { test } from 'node:test'
import { localDay, type LocalDay } from './local-day.ts'

const instants = (day: LocalDay | string) => {
  if (typeof day === 'string') assert.fail(day)
  return [new Date(day.from).toISOString(), new Date(day.to).toISOString()]
}
/** Why a day is refused, or `a day` when it is not. */
const problem = (day: LocalDay | string) => (typeof day === 'string' ? day : 'a day')

test('a day in UTC is 24 hours from midnight', () => {
  assert.deepEqual(instants(localDay('2026-03-01', 'UTC')), [
    '2026-03-01T00:00:00.000Z',
    '2026-03-02T00:00:00.000Z',
  ])
})

test('a local day east and west of Greenwich begins at its own midnight', () => {
  assert.deepEqual(instants(localDay('2026-07-01', 'Europe/Berlin')), [
    '2026-06-30T22:00:00.000Z',
    '2026-07-01T22:00:00.000Z',
  ])
  assert.deepEqual(instants(localDay('2026-01-15', 'America/New_York')), [
    '2026-01-15T05:00:00.000Z',
    '2026-01-16T05:00:00.000Z',
  ])
  assert.deepEqual(instants(localDay('2026-01-15', 'Asia/Kolkata')), [
    '2026-01-14T18:30:00.000Z',
    '2026-01-15T18:30:00.000Z',
  ])
})

test('the days clocks change last 23 and 25 hours', () => {
  assert.deepEqual(instants(localDay('2026-03-29', 'Europe/London')), [
    '2026-03-29T00:00:00.000Z',
    '2026-03-29T23:00:00.000Z',
  ])
  assert.deepEqual(instants(localDay('2026-10-25', 'Europe/London')), [
    '2026-10-24T23:00:00.000Z',
    '2026-10-26T00:00:00.000Z',
  ])
})

test('a day the zone skipped is empty (Samoa crossed the date line on 30 December 2011)', () => {
  const [from, to] = instants(localDay('2011-12-30', 'Pacific/Apia'))
  assert.equal(from, to)
})

test('the zone is named as IANA names it, whatever its case', () => {
  assert.equal((localDay('2026-03-01', 'europe/london') as LocalDay).timeZone, 'Europe/London')
})

test('a date that is no day, or a zone nobody knows, says why', () => {
  for (const date of ['2026-02-30', '2026-13-01', '2026-3-1', '20260301', '1969-12-31', 'yesterday', ''])
    assert.match(problem(localDay(date, 'UTC')), /^date must be/, date)
  for (const zone of ['Nowhere/Else', 'Europe/Londn', '', 'UTC+25'])
    assert.match(problem(localDay('2026-03-01', zone)), /^timeZone must be an IANA time zone/, zone)
})
