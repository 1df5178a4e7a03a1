import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_PREFERENCES, type FleetEvent } from '@convoy/contracts'
import { createDisplay } from '../../shared/display.ts'
import { eventText, isWarning } from './event-text.ts'

const base = {
  version: 1 as const,
  id: '6f1c3a52-7a4e-5b1e-9a55-0b4b2f0a4a11',
  vehicleName: 'Van 12',
  time: '2026-12-05T08:00:00.000Z',
  lat: 53.38,
  lng: -1.47,
}
const geofence = { id: '0b6c3a52-7a4e-4b1e-9a55-0b4b2f0a4a11', name: 'Depot North' }
const metric = createDisplay(DEFAULT_PREFERENCES)
const imperial = createDisplay({ ...DEFAULT_PREFERENCES, units: 'imperial' })

test('each kind of event in words', () => {
  const entered: FleetEvent = { ...base, kind: 'geofence.entered', geofence, details: {} }
  assert.equal(eventText(entered, metric), 'Van 12 entered Depot North')
  assert.equal(eventText({ ...entered, kind: 'geofence.exited' }, metric), 'Van 12 left Depot North')
  const speeding: FleetEvent = {
    ...base,
    kind: 'overspeed',
    geofence: null,
    details: { speedKmh: 104, limitKmh: 90, forSeconds: 30, since: base.time },
  }
  assert.equal(eventText(speeding, metric), 'Van 12 drove at 104 km/h for 30 s (limit 90 km/h)')
  assert.equal(eventText(speeding, imperial), 'Van 12 drove at 65 mph for 30 s (limit 56 mph)')
  assert.equal(isWarning(speeding), true)
  const stopped: FleetEvent = {
    ...base,
    kind: 'stopped',
    geofence: null,
    details: { forMinutes: 10, since: base.time },
  }
  assert.equal(eventText(stopped, metric), 'Van 12 has stood still for 10 min')
  assert.equal(isWarning(stopped), false)
  const lost: FleetEvent = {
    ...base,
    kind: 'signal.lost',
    geofence: null,
    details: { forMinutes: 5, lastSeen: base.time },
  }
  assert.equal(eventText(lost, metric), 'Van 12 has sent nothing for 5 min')
})
