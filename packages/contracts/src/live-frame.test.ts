/**
 * The live frame as the browser reads it (TypeBox's `Check`, interpreted): a fleet alert is a
 * `notification` frame with its fleet event, and the media notifications read as before.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Check } from 'typebox/value'
import { FleetAlertCreated, LiveFrame } from './index.ts'

const fleetEvent = {
  version: 1,
  id: '0b5e2a4c-1111-5222-8333-944455556666',
  kind: 'geofence.entered',
  vehicleName: 'Van 12',
  time: '2026-03-01T08:00:20.000Z',
  lat: 53.38,
  lng: -1.47,
  geofence: { id: '4a4a4a4a-1111-4222-8333-944455556666', name: 'Depot North' },
  details: {},
}
const alert = {
  id: fleetEvent.id,
  kind: 'geofence.entered',
  title: 'Van 12 entered Depot North',
  body: 'Van 12 entered Depot North.\nWhen: 2026-03-01 08:00:20 UTC',
  fleetEvent,
  createdAt: '2026-03-01T08:00:21.000Z',
}
const mediaNotification = {
  id: '6d1f6d1f-1111-4222-8333-944455556666',
  kind: 'media.ready',
  title: 'Your MP3 of clip.mp4 is ready',
  body: 'Your video clip.mp4 has been converted to MP3.',
  mediaId: '0b5a1c1e-3f43-4a57-9d0e-6a7f0f3c2b11',
  createdAt: '2026-03-01T08:00:05.000Z',
}

test('a fleet alert is a notification frame carrying its fleet event; a media one reads as before', () => {
  assert.ok(Check(LiveFrame, { type: 'notification', notification: alert }))
  assert.ok(Check(LiveFrame, { type: 'notification', notification: mediaNotification }))
})

test('a fleet alert whose event is not a fleet event is not a frame (the browser drops it)', () => {
  for (const broken of [
    { ...fleetEvent, vehicleName: undefined },
    { ...fleetEvent, geofence: null },
    { ...fleetEvent, kind: 'overspeed' },
    { ...fleetEvent, extra: true },
  ])
    assert.ok(!Check(LiveFrame, { type: 'notification', notification: { ...alert, fleetEvent: broken } }))
})

test('fleet-alert.created names the roles whose live feeds get it: at least one, each known, once', () => {
  assert.ok(Check(FleetAlertCreated, { version: 1, roles: ['admin', 'dispatcher'], notification: alert }))
  for (const roles of [[], ['driver'], ['admin', 'admin']])
    assert.ok(!Check(FleetAlertCreated, { version: 1, roles, notification: alert }), JSON.stringify(roles))
})
