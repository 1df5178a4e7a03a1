import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_PREFERENCES, type Preferences } from '@convoy/contracts'
import { createDisplay, formatDuration } from './display.ts'

const at = (changes: Partial<Preferences>) => createDisplay({ ...DEFAULT_PREFERENCES, ...changes }, 'en-GB')
const NOW = Date.parse('2026-12-05T14:32:10Z')
const FOUR_MINUTES_AGO = '2026-12-05T14:28:00Z'

test('speeds are km/h by default and mph when asked, rounded', () => {
  assert.equal(at({}).speedUnit, 'km/h')
  assert.equal(at({}).speed(49.6), 50)
  const imperial = at({ units: 'imperial' })
  assert.equal(imperial.speedUnit, 'mph')
  assert.equal(imperial.speed(100), 62)
  assert.equal(imperial.speed(160.9344), 100)
})

test('clock times follow the time zone and the 12 or 24 hours asked for', () => {
  assert.equal(at({ timeZone: 'UTC', clock: '24h' }).clock(FOUR_MINUTES_AGO), '14:28')
  assert.equal(at({ timeZone: 'America/New_York', clock: '24h' }).clock(FOUR_MINUTES_AGO), '09:28')
  assert.match(at({ timeZone: 'UTC', clock: '12h' }).clock(FOUR_MINUTES_AGO), /^2:28\s?pm$/i)
})

test('relative times alone, or with the clock time beside them when asked', () => {
  assert.equal(at({}).ago(FOUR_MINUTES_AGO, NOW), '4 min ago')
  assert.equal(
    at({ absoluteTime: true, timeZone: 'UTC', clock: '24h' }).ago(FOUR_MINUTES_AGO, NOW),
    '4 min ago · 14:28',
  )
  assert.equal(
    at({ absoluteTime: true, timeZone: 'UTC', clock: '24h' }).when(FOUR_MINUTES_AGO, NOW),
    '4 min ago · 14:28',
  )
  assert.equal(at({ absoluteTime: true }).ago('not a time', NOW), 'now', 'an unreadable time gets no clock')
})

test('distances in the unit asked for, and durations for people', () => {
  assert.equal(at({}).distance(850), '850 m')
  assert.equal(at({}).distance(42_140), '42.1 km')
  assert.equal(at({ units: 'imperial' }).distance(42_195), '26.2 mi')
  assert.equal(formatDuration(45), '45 s')
  assert.equal(formatDuration(720), '12 min')
  assert.equal(formatDuration(4320), '1 h 12 min')
  assert.equal(formatDuration(7200), '2 h')
})
