/**
 * The sweep on several replicas at once, as Kubernetes runs them: two pools on one PostgreSQL
 * database (the embedded database has one connection, so this needs the real server).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Registry } from 'prom-client'
import { openDatabase, type Database } from '@convoy/platform/db'
import { eventually, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { eventOutbox } from './outbox.ts'
import { fenceCache, fleetRepository } from './repository.ts'
import { sweep } from './sweep.ts'
import { ADMIN, SHEFFIELD, startFixture, type Fixture } from './test-support.ts'

let fixture: Fixture
let second: Database<Tables>
/** Two replicas' sweeps: each its own pool of connections, its repository and outbox. */
let replicas: Array<() => Promise<void>>

before(async () => {
  fixture = await startFixture()
  await fixture.repository.createGeofence(
    { name: 'Depot', shape: { type: 'circle', center: SHEFFIELD, radiusMetres: 100 } },
    ADMIN,
  )
  await fixture.repository.setRules({ overspeed: null, stopped: null, noSignal: { forMinutes: 5 } }, ADMIN)
  second = await openDatabase<Tables>({ url: fixture.databaseUrl, log: testLogger(), migrations })
  const other = fleetRepository(second.db)
  const log = testLogger()
  const outboxes = [
    [fixture.repository, fixture.outbox],
    [other, eventOutbox({ broker: fixture.broker, repository: other, log, metrics: new Registry() })],
  ] as const
  replicas = outboxes.map(
    ([repository, outbox]) =>
      () =>
        sweep({ repository, outbox, log, republishAfterMs: 0 }),
  )
})
after(async () => {
  await second?.close()
  await fixture?.close()
})

/** Every replica sweeps, twice, all at once. */
const sweepEverywhere = () => Promise.all([...replicas, ...replicas].map((run) => run()))
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

test('a vehicle silent for the rule’s minutes loses its signal once, however many replicas sweep', async () => {
  await fixture.send([
    { vehicle: 'Silent Van', lat: 1, lng: 1, timestamp: minutesAgo(10) },
    { vehicle: 'Talking Van', lat: 1, lng: 1, timestamp: minutesAgo(1) },
  ])
  const evaluated = (count: number) =>
    eventually(async () => (await fixture.counted('evaluated')) === count, `${count} reports evaluated`)
  await evaluated(2)
  await sweepEverywhere()
  await sweepEverywhere()
  const events = await fixture.settled()
  const lost = events.filter((e) => e.kind === 'signal.lost')
  assert.deepEqual(
    lost.map((e) => [e.vehicleName, e.lat, e.lng]),
    [['Silent Van', 1, 1]],
  )

  // Heard again, then silent again: a new silence, a new event.
  await fixture.send([{ vehicle: 'Silent Van', lat: 2, lng: 2, timestamp: minutesAgo(6) }])
  await evaluated(3)
  await sweepEverywhere()
  const again = (await fixture.settled()).filter((e) => e.kind === 'signal.lost')
  assert.deepEqual(
    again.map((e) => [e.vehicleName, e.lat, e.lng]),
    [
      ['Silent Van', 1, 1],
      ['Silent Van', 2, 2],
    ],
  )
})

test('events stored but never published (the process died in between) are published by the sweep, once each', async () => {
  // Evaluated and committed, as a process would before it died: nothing published. More than
  // one transaction's worth of the sweep (100).
  const reports = Array.from({ length: 150 }, (_, i) => ({
    vehicle: `Crashed Van ${i}`,
    ...SHEFFIELD,
    timestamp: minutesAgo(1),
  }))
  const { events } = await fixture.repository.evaluate(reports, fenceCache())
  assert.equal(events.length, 150)
  assert.ok(events.every((e) => e.kind === 'geofence.entered'))
  await Promise.all(replicas.map((run) => run()))
  const received = await fixture.settled()
  const crashed = received.filter((e) => e.vehicleName.startsWith('Crashed Van'))
  assert.deepEqual(crashed.map((e) => e.id).sort(), events.map((e) => e.id).sort())
})
