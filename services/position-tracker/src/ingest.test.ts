import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Registry } from 'prom-client'
import { positionReported } from '@convoy/contracts'
import { openDatabase, type Database } from '@convoy/platform/db'
import { connectBroker, deadLetterQueue, type Broker, type Subscription } from '@convoy/platform/messaging'
import { drainQueue, eventually, testLogger, uniqueName } from '@convoy/platform/testing'
import { POSITIONS_QUEUE, startIngest } from './ingest.ts'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository } from './repository.ts'

const url = `embedded://${uniqueName('ingest')}`
let database: Database<Tables>
let broker: Broker
let ingest: Subscription

before(async () => {
  database = await openDatabase<Tables>({ url: 'pglite:memory', log: testLogger(), migrations })
  broker = connectBroker({ url, log: testLogger() })
  ingest = startIngest({
    broker,
    repository: positionsRepository(database.db),
    log: testLogger(),
    metrics: new Registry(),
    prefetch: 100,
    batchSize: 50,
    batchWaitMs: 20,
    flushConcurrency: 2,
    databaseReady: database.ping,
  })
})
after(async () => {
  await ingest.close()
  await broker.close()
  await database.close()
})

test('reports no database can hold are dead-lettered alone; the rest of their batch is stored', async () => {
  const good = Array.from({ length: 20 }, (_, i) => ({
    vehicle: 'Batch Van',
    lat: 53.38 + i * 1e-4,
    lng: -1.47,
    timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString(),
  }))
  const bad = [
    { ...good[0]!, timestamp: '0000-01-01T00:00:00Z' },
    { ...good[0]!, timestamp: '2026-06-30T23:59:60Z' },
    { ...good[0]!, timestamp: new Date(Date.now() + 3_600_000).toISOString() },
    { ...good[0]!, vehicle: 'Batch\u202enaV' },
  ]
  await Promise.all(
    [...good.slice(0, 10), ...bad, ...good.slice(10)].map((r) => broker.publish(positionReported, r)),
  )

  const count = async () =>
    Number(
      (
        await database.db
          .selectFrom('positions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  await eventually(async () => (await count()) === 20, 'the 20 good reports stored')
  const dead = await drainQueue(url, deadLetterQueue(POSITIONS_QUEUE))
  const reasons = dead.map((m) => String(m.headers['x-convoy-death-reason'])).sort()
  assert.match(reasons.shift()!, /^invalid body: \/vehicle must match pattern/)
  assert.deepEqual(reasons, [
    'invalid body: timestamp is in the future',
    'invalid body: timestamp is not a representable instant',
    'invalid body: timestamp is not a representable instant',
  ])
})
