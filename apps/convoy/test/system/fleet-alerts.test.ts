/**
 * Fleet alerts in the stack topology: every service its own process, real PostgreSQL, RabbitMQ,
 * auth and an SMTP server started here. A dispatcher draws a geofence through the gateway across a
 * vehicle's way and asks for fleet alerts by email; the test publishes the vehicle's reports to
 * the `positions` exchange, as the simulator would, so what happens when is known. Its entry and
 * exit each become one alert, in every admin's and dispatcher's list and live feed and in no
 * viewer's, and one email to the dispatcher who asked, whatever is delivered again.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  fleetEvent,
  positionReported,
  type FleetEvent,
  type Geofence,
  type LiveFrame,
  type Notification,
} from '@convoy/contracts'
import { connectBroker, type Broker } from '@convoy/platform/messaging'
import { eventually, startMailCatcher, testLogger, type MailCatcher } from '@convoy/platform/testing'
import { login, openLiveFeed, startTestStack, type LiveFeed, type TestStack } from '@convoy/system/testing'

const VEHICLE = 'Alert Van'
const GEOFENCE = 'Round the depot'
const POINTS = 100
/** 10 m north per second: 36 km/h. */
const STEP_DEGREES = 10 / 111_195
const ORIGIN = { lat: 53.38, lng: -1.47 }

/** A counter's sum on a service's `/metrics` over the series that carry every one of `labels`. */
async function counter(opsUrl: string, name: string, ...labels: string[]) {
  const text = await (await fetch(`${opsUrl}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}

describe('fleet alerts in the stack topology', () => {
  let smtp: MailCatcher
  let system: TestStack
  let broker: Broker
  let admin: string
  const tokens: Record<string, string> = {}
  let live: LiveFeed

  before(async () => {
    smtp = await startMailCatcher()
    system = await startTestStack({
      serviceEnv: {
        'position-simulator': { VEHICLES: '0' },
        notification: { SMTP_PORT: String(smtp.port) },
      },
    })
    broker = connectBroker({ url: system.amqpUrl, log: testLogger() })
    admin = await login(system.url)
    for (const [username, role] of [
      ['dora', 'dispatcher'],
      ['dan', 'dispatcher'],
      ['vic', 'viewer'],
    ] as const) {
      const password = `${username} password of the test`
      const created = await api('POST', '/auth/users', admin, { username, password, role })
      assert.equal(created.status, 201)
      tokens[username] = await login(system.url, username, password)
    }
    // Only the geofence's events: no rule fires on a van driving at 36 km/h through reports a
    // couple of minutes old (a lost signal would be one).
    const rules = { overspeed: null, stopped: null, noSignal: null }
    assert.equal((await api('PUT', '/fleet-rules', admin, rules)).status, 200)
    live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, tokens.dora!)
  })
  after(async () => {
    live?.close()
    await broker?.close()
    await system?.close()
    await smtp?.close()
  })

  async function api<T = unknown>(method: string, path: string, token: string, body?: unknown) {
    const response = await fetch(`${system.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as T }
  }

  /** The van's alerts in a user's list, newest first. */
  const alertsOf = async (token: string) =>
    (await api<Notification[]>('GET', '/notifications', token)).body.filter(
      (n) => n.fleetEvent?.vehicleName === VEHICLE,
    )
  const mailsTo = (username: string) =>
    smtp.mails.filter((mail) => mail.envelope.to.includes(`${username}@localhost`))
  const liveAlerts = () =>
    live.frames.filter(
      (frame): frame is Extract<LiveFrame, { type: 'notification' }> =>
        frame.type === 'notification' && frame.notification.fleetEvent?.vehicleName === VEHICLE,
    )
  /** Once notification has acknowledged as many fleet events as fleet-events published, and `more`. */
  const allHandled = (more = 0) =>
    eventually(
      async () =>
        (await counter(
          system.ops.notification,
          'messages_consumed_total',
          'queue="notification.fleet-events"',
          'outcome="ack"',
        )) ===
        (await counter(system.ops['fleet-events'], 'fleet_events_published_total')) + more,
      'every fleet event handled by notification',
      30_000,
    )

  test('a van through a geofence drawn through the API: one entry and one exit alert for the admins and dispatchers, live and listed, and one email each to the dispatcher who asked', async () => {
    const preferences = (await api<Record<string, unknown>>('GET', '/auth/me/preferences', tokens.dora!)).body
    assert.equal(
      (await api('PUT', '/auth/me/preferences', tokens.dora!, { ...preferences, emailAlerts: true })).status,
      200,
    )
    // A viewer may ask too: the choice is kept, and sends nothing.
    assert.equal(
      (await api('PUT', '/auth/me/preferences', tokens.vic!, { ...preferences, emailAlerts: true })).status,
      200,
    )

    // 100 m round the van's 50th report: it enters at about the 41st and leaves at the 60th.
    const center = { lat: ORIGIN.lat + 50 * STEP_DEGREES, lng: ORIGIN.lng }
    const drawn = await api<Geofence>('POST', '/geofences', tokens.dora!, {
      name: GEOFENCE,
      shape: { type: 'circle', center, radiusMetres: 100 },
    })
    assert.equal(drawn.status, 201)

    // The van's reports, in order, a second apart, ending a few seconds ago.
    const start = Math.floor(Date.now() / 1000) * 1000 - (POINTS + 5) * 1000
    for (let i = 0; i < POINTS; i++) {
      const timestamp = new Date(start + i * 1000).toISOString()
      const report = { vehicle: VEHICLE, lat: ORIGIN.lat + i * STEP_DEGREES, lng: ORIGIN.lng, timestamp }
      await broker.publish(positionReported, report, { messageId: `${VEHICLE}@${timestamp}` })
    }

    await eventually(() => liveAlerts().length === 2, "both alerts on the dispatcher's live feed", 30_000)
    await eventually(() => mailsTo('dora').length === 2, 'both emails to the dispatcher who asked', 30_000)
    await allHandled()

    const events = (await api<FleetEvent[]>('GET', `/events?vehicle=${encodeURIComponent(VEHICLE)}`, admin))
      .body
    assert.deepEqual(
      events.map((event) => [event.kind, event.geofence?.name]),
      [
        ['geofence.exited', GEOFENCE],
        ['geofence.entered', GEOFENCE],
      ],
    )
    const [exited, entered] = events as [FleetEvent, FleetEvent]
    assert.deepEqual(
      liveAlerts().map(({ notification }) => [notification.id, notification.title]),
      [
        [entered.id, `${VEHICLE} entered ${GEOFENCE}`],
        [exited.id, `${VEHICLE} left ${GEOFENCE}`],
      ],
      'pushed once each, in order',
    )
    for (const token of [admin, tokens.dora!, tokens.dan!]) {
      const listed = await alertsOf(token)
      assert.deepEqual(
        listed.map((n) => [n.id, n.kind, n.fleetEvent]),
        [
          [exited.id, 'geofence.exited', exited],
          [entered.id, 'geofence.entered', entered],
        ],
        'listed once each for every admin and dispatcher, with where and when',
      )
    }
    assert.deepEqual(await alertsOf(tokens.vic!), [], 'none for a viewer')

    assert.deepEqual(
      mailsTo('dora')
        .map((mail) => mail.headers['subject'])
        .sort(),
      [`${VEHICLE} entered ${GEOFENCE}`, `${VEHICLE} left ${GEOFENCE}`],
    )
    for (const username of ['admin', 'dan', 'vic'])
      assert.deepEqual(mailsTo(username), [], `no email to ${username}, who did not ask or may not`)

    // fleet-events publishes again what it cannot tell the broker took (its sweep): the same ids.
    for (const event of events) await broker.publish(fleetEvent, event, { messageId: event.id })
    await allHandled(2)
    assert.equal((await alertsOf(tokens.dora!)).length, 2, 'no alert again')
    assert.equal(mailsTo('dora').length, 2, 'no email again')
    assert.equal(liveAlerts().length, 2, 'no push again')
  })
})
