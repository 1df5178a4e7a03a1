/**
 * Positions in at the broker, events out at the broker and in the database: evaluation as it runs
 * in the service (RabbitMQ and PostgreSQL in the full suite, their embedded kinds in the unit loop).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { positionReported } from '@convoy/contracts'
import { deadLetterQueue, untypedTopic } from '@convoy/platform/messaging'
import { drainQueue, eventually } from '@convoy/platform/testing'
import { POSITIONS_QUEUE } from './evaluation.ts'
import { ADMIN, METRE, northwards, SHEFFIELD, startFixture, type Fixture } from './test-support.ts'

const T0 = Date.parse('2026-01-01T12:00:00.000Z')
let fixture: Fixture

before(async () => {
  fixture = await startFixture()
  // A circle round Sheffield’s centre, 105 m; a square 505–705 m north of it, 0.01° wide.
  await fixture.repository.createGeofence(
    { name: 'Depot', shape: { type: 'circle', center: SHEFFIELD, radiusMetres: 105 } },
    ADMIN,
  )
  const [south, north] = [SHEFFIELD.lat + 505 * METRE, SHEFFIELD.lat + 705 * METRE]
  const [west, east] = [SHEFFIELD.lng - 0.005, SHEFFIELD.lng + 0.005]
  await fixture.repository.createGeofence(
    {
      name: 'Yard',
      shape: {
        type: 'polygon',
        points: [
          { lat: south, lng: west },
          { lat: north, lng: west },
          { lat: north, lng: east },
          { lat: south, lng: east },
        ],
      },
    },
    ADMIN,
  )
  await fixture.repository.setRules({ overspeed: null, stopped: null, noSignal: null }, ADMIN)
})
after(() => fixture?.close())

/** Sends `reports` and waits until each was evaluated or found late. */
async function evaluate(reports: ReturnType<typeof northwards>) {
  const before = (await fixture.counted('evaluated')) + (await fixture.counted('late'))
  await fixture.send(reports)
  await eventually(
    async () =>
      (await fixture.counted('evaluated')) + (await fixture.counted('late')) === before + reports.length,
    'every report taken',
  )
}

const about = (vehicle: string) => fixture.received.filter((event) => event.vehicleName === vehicle)

test('a vehicle driving through a circle and a polygon enters and leaves each once, published and stored', async () => {
  // 10 m/s from 300 m south to 900 m north: through the depot, then the yard.
  await evaluate(
    northwards('Through Van', { seconds: 120, metresPerSecond: 10, start: T0, southMetres: 300 }),
  )
  await fixture.settled()
  const at = (second: number) => new Date(T0 + second * 1000).toISOString()
  assert.deepEqual(
    about('Through Van').map((e) => [e.kind, e.geofence?.name, e.time]),
    [
      ['geofence.entered', 'Depot', at(20)],
      ['geofence.exited', 'Depot', at(41)],
      ['geofence.entered', 'Yard', at(81)],
      ['geofence.exited', 'Yard', at(101)],
    ],
  )
  const stored = await fixture.repository.events({ vehicle: 'Through Van', limit: 100 })
  assert.deepEqual(
    stored.map((e) => e.id),
    about('Through Van')
      .map((e) => e.id)
      .toReversed(),
    'the same events, newest first',
  )
})

test('the same positions delivered again publish nothing new', async () => {
  const reports = northwards('Twice Van', { seconds: 60, metresPerSecond: 10, start: T0, southMetres: 300 })
  await evaluate(reports)
  const first = (await fixture.settled()).filter((e) => e.vehicleName === 'Twice Van').length
  assert.equal(first, 2)

  const lateBefore = await fixture.counted('late')
  await evaluate(reports.toReversed())
  assert.equal(await fixture.counted('late'), lateBefore + reports.length, 'every one late')
  // A position after the redeliveries: its event comes after any they could have caused.
  await evaluate([{ vehicle: 'Sentinel Van', ...SHEFFIELD, timestamp: new Date(T0).toISOString() }])
  await eventually(() => about('Sentinel Van').length === 1, 'the sentinel’s event')
  assert.equal(about('Twice Van').length, 2)
})

test('a restart half way through a geofence neither repeats nor misses an event', async () => {
  const reports = northwards('Restart Van', { seconds: 60, metresPerSecond: 10, start: T0, southMetres: 300 })
  await evaluate(reports.slice(0, 30))
  await fixture.stopEvaluation()
  fixture.startEvaluation()
  await evaluate(reports.slice(25))
  await fixture.settled()
  assert.deepEqual(
    about('Restart Van').map((e) => e.kind),
    ['geofence.entered', 'geofence.exited'],
  )
})

test('overspeed fires once per episode', async () => {
  await fixture.repository.setRules(
    { overspeed: { limitKmh: 80, forSeconds: 10 }, stopped: null, noSignal: null },
    ADMIN,
  )
  // Far from the geofences: 100 km/h for 20 s, 36 km/h for 10 s, 100 km/h for 20 s.
  const fast = 100 / 3.6
  const leg = (seconds: number, speed: number, start: number, south: number) =>
    northwards('Speeding Van', { seconds, metresPerSecond: speed, start, southMetres: south }).map((r) => ({
      ...r,
      lng: 0,
    }))
  await evaluate([
    ...leg(20, fast, T0, 0),
    ...leg(10, 10, T0 + 21_000, -21 * fast).slice(0),
    ...leg(20, fast, T0 + 32_000, -(21 * fast + 110)),
  ])
  await fixture.settled()
  assert.deepEqual(
    about('Speeding Van').map((e) => [e.kind, e.time]),
    [
      ['overspeed', new Date(T0 + 10_000).toISOString()],
      ['overspeed', new Date(T0 + 42_000).toISOString()],
    ],
  )
})

test('a stop of the rule’s minutes fires stopped once', async () => {
  await fixture.repository.setRules({ overspeed: null, stopped: { forMinutes: 2 }, noSignal: null }, ADMIN)
  const still = Array.from({ length: 31 }, (_, i) => ({
    vehicle: 'Parked Van',
    lat: 0,
    lng: 0,
    timestamp: new Date(T0 + i * 10_000).toISOString(),
  }))
  await evaluate(still)
  await fixture.settled()
  assert.deepEqual(
    about('Parked Van').map((e) => [e.kind, e.time]),
    [['stopped', new Date(T0 + 120_000).toISOString()]],
  )
})

test('reports no position can be made of are dead-lettered with the reason, like the tracker’s', async () => {
  const good = { vehicle: 'Odd Van', lat: 1, lng: 1, timestamp: new Date(T0).toISOString() }
  await fixture.broker.publish(positionReported, {
    ...good,
    timestamp: new Date(Date.now() + 3_600_000).toISOString(),
  })
  await fixture.broker.publish(positionReported, { ...good, timestamp: '0000-01-01T00:00:00Z' })
  await fixture.broker.publish(untypedTopic(positionReported), { ...good, lat: 'north' })
  const dead = await eventually(async () => {
    const drained = await drainQueue(fixture.brokerUrl, deadLetterQueue(POSITIONS_QUEUE))
    deadLetters.push(...drained)
    return deadLetters.length === 3 ? deadLetters : undefined
  }, 'three dead letters')
  assert.deepEqual(dead.map((m) => String(m.headers['x-convoy-death-reason'])).sort(), [
    'invalid body: /lat must be number',
    'invalid body: timestamp is in the future',
    'invalid body: timestamp is not a representable instant',
  ])
})
const deadLetters: Array<{ headers: Record<string, unknown> }> = []
