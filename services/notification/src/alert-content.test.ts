import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FleetEvent } from '@convoy/contracts'
import { alertDraft, alertEmails, duration } from './alert-content.ts'
import { geofenceEvent, recipient } from './test-support.ts'

const settings = { publicUrl: 'https://convoy.example.com/', mailDomain: 'example.com' }
const base = {
  version: 1,
  id: '0b5e2a4c-1111-5222-8333-944455556666',
  vehicleName: 'City Truck',
  lat: 53.381234,
  lng: -1.4701,
} as const

test('each kind says what happened in a line, and when, where and what more in the body', () => {
  const cases: Array<[FleetEvent, string, string[]]> = [
    [geofenceEvent('Van 12', 'Depot North'), 'Van 12 entered Depot North', []],
    [geofenceEvent('Van 12', 'Depot North', 'geofence.exited'), 'Van 12 left Depot North', []],
    [
      {
        ...base,
        kind: 'overspeed',
        time: '2026-03-01T08:00:32.000Z',
        geofence: null,
        details: { speedKmh: 104.4, limitKmh: 90, forSeconds: 30, since: '2026-03-01T08:00:02.000Z' },
      },
      'City Truck drove at 104 km/h for 30 s',
      ['Above the limit of 90 km/h since 2026-03-01 08:00:02 UTC'],
    ],
    [
      {
        ...base,
        kind: 'stopped',
        time: '2026-03-01T08:12:30.000Z',
        geofence: null,
        details: { forMinutes: 10, since: '2026-03-01T08:00:00.000Z' },
      },
      'City Truck stood still for 12 min 30 s',
      ['Standing still since 2026-03-01 08:00:00 UTC'],
    ],
    [
      {
        ...base,
        kind: 'signal.lost',
        time: '2026-03-01T08:05:00.000Z',
        geofence: null,
        details: { forMinutes: 5, lastSeen: '2026-03-01T08:00:00.000Z' },
      },
      'City Truck has sent no position for 5 min',
      ['Last position at 2026-03-01 08:00:00 UTC'],
    ],
  ]
  for (const [event, title, more] of cases) {
    const draft = alertDraft(event, settings)
    assert.equal(draft.title, title)
    assert.equal(
      draft.body,
      [
        `${title}.`,
        `When: ${event.time.slice(0, 10)} ${event.time.slice(11, 19)} UTC`,
        `Where: ${event.lat.toFixed(5)}, ${event.lng.toFixed(5)}`,
        ...more,
        '',
        'See it on the map:',
        'https://convoy.example.com/#/',
      ].join('\n'),
    )
    assert.deepEqual(
      {
        id: draft.id,
        kind: draft.kind,
        ownerId: draft.ownerId,
        fleetEvent: draft.fleetEvent,
        emails: draft.emails,
      },
      { id: event.id, kind: event.kind, ownerId: null, fleetEvent: event, emails: null },
      'one alert for everyone, by the id of its event; its recipients are asked for later',
    )
  }
  assert.match(alertDraft(cases[2]![0], settings).body, /Where: 53\.38123, -1\.47010/)
})

test('durations read as people say them', () => {
  assert.deepEqual([0, 29.6, 59, 60, 61, 600, 3599, 3600, 3660, 7500].map(duration), [
    '0 s',
    '30 s',
    '59 s',
    '1 min',
    '1 min 1 s',
    '10 min',
    '59 min 59 s',
    '1 h',
    '1 h 1 min',
    '2 h 5 min',
  ])
})

test("an alert's email to each recipient, at their address, with a Message-ID of the event and the user", () => {
  const draft = alertDraft(geofenceEvent('Van 12', 'Depot North'), settings)
  const notification = { ...draft, id: draft.id!, createdAt: '2026-03-01T08:00:21.000Z' }
  const { emails, skipped } = alertEmails(
    notification,
    [recipient('ann', 'admin'), recipient('bob@elsewhere.org'), recipient('x@y@z')],
    settings,
  )
  assert.deepEqual(skipped, ['x@y@z'])
  assert.deepEqual(
    emails.map((email) => [email.recipientId, email.to, email.messageId]),
    [
      [recipient('ann').userId, 'ann@example.com', `<fleet-${draft.id}-${recipient('ann').userId}@convoy>`],
      [
        recipient('bob@elsewhere.org').userId,
        'bob@elsewhere.org',
        `<fleet-${draft.id}-${recipient('bob@elsewhere.org').userId}@convoy>`,
      ],
    ],
  )
  for (const email of emails) {
    assert.equal(email.subject, 'Van 12 entered Depot North')
    assert.ok(email.text.startsWith(`${draft.body}\n\n`))
    assert.match(email.text, /turned on fleet alerts in your preferences\.$/)
  }
})
