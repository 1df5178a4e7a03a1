/** What fleet-events' tests share: a service's parts on a fresh database and vhost, and positions to send. */
import { Registry } from 'prom-client'
import { fleetEvent, positionReported, type FleetEvent, type PositionReport } from '@convoy/contracts'
import { openDatabase, type Database } from '@convoy/platform/db'
import { connectBroker, type Broker, type Subscription } from '@convoy/platform/messaging'
import { createTestDatabase, createTestVhost, eventually, testLogger } from '@convoy/platform/testing'
import { startEvaluation } from './evaluation.ts'
import { migrations, type Tables } from './migrations.ts'
import { eventOutbox, type EventOutbox } from './outbox.ts'
import { fleetRepository, type FleetRepository } from './repository.ts'

/** Degrees of latitude in one metre. */
export const METRE = 1 / 111_195
export const SHEFFIELD = { lat: 53.38, lng: -1.47 }
export const ADMIN = { userId: '00000000-0000-4000-8000-00000000000a', username: 'admin' }

/** Reports of `vehicle` every second from `start`, `metresPerSecond` north each, from `southMetres` south of Sheffield. */
export function northwards(
  vehicle: string,
  options: { seconds: number; metresPerSecond: number; start: number; southMetres?: number },
): PositionReport[] {
  return Array.from({ length: options.seconds + 1 }, (_, i) => ({
    vehicle,
    lat: SHEFFIELD.lat + (i * options.metresPerSecond - (options.southMetres ?? 0)) * METRE,
    lng: SHEFFIELD.lng,
    timestamp: new Date(options.start + i * 1000).toISOString(),
  }))
}

export interface Fixture {
  database: Database<Tables>
  databaseUrl: string
  brokerUrl: string
  broker: Broker
  repository: FleetRepository
  outbox: EventOutbox
  metrics: Registry
  /** Every fleet event published, in the order they arrived. */
  received: FleetEvent[]
  /** Starts evaluating (again, after a `stopEvaluation`: a restart). */
  startEvaluation(): void
  stopEvaluation(): Promise<void>
  /** Publishes reports one after the other, in this order. */
  send(reports: PositionReport[]): Promise<void>
  /** How many reports were evaluated, or ignored as late. */
  counted(outcome: 'evaluated' | 'late'): Promise<number>
  /** Waits until every stored event was published and arrived, then returns them all. */
  settled(): Promise<FleetEvent[]>
  close(): Promise<void>
}

/** fleet-events' evaluation and outbox on a fresh database and vhost, and a queue that takes every event. */
export async function startFixture(): Promise<Fixture> {
  const [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()])
  const log = testLogger()
  const database = await openDatabase<Tables>({ url: db.url, log, migrations })
  const broker = connectBroker({ url: vhost.url, log })
  const metrics = new Registry()
  const repository = fleetRepository(database.db)
  const outbox = eventOutbox({ broker, repository, log, metrics })
  const received: FleetEvent[] = []
  const listener = broker.consume({
    queue: 'test.fleet-events',
    topics: [fleetEvent],
    handler: async ({ body }) => void received.push(body),
  })
  await eventually(() => listener.isReady(), 'the test queue bound')
  let evaluation: Subscription | undefined
  const fixture: Fixture = {
    database,
    databaseUrl: db.url,
    brokerUrl: vhost.url,
    broker,
    repository,
    outbox,
    metrics,
    received,
    startEvaluation() {
      // Each start has its own metrics, as a restarted process would: counters count from 0.
      fixture.metrics = new Registry()
      evaluation = startEvaluation({
        broker,
        repository,
        outbox,
        metrics: fixture.metrics,
        prefetch: 100,
        batchSize: 20,
        batchWaitMs: 10,
        databaseReady: database.ping,
      })
    },
    async stopEvaluation() {
      await evaluation?.close()
      evaluation = undefined
    },
    async send(reports) {
      for (const report of reports) await broker.publish(positionReported, report)
    },
    async counted(outcome) {
      const metric = await fixture.metrics.getSingleMetric('positions_evaluated_total')!.get()
      return metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0
    },
    async settled() {
      return eventually(async () => {
        const stored = await database.db.selectFrom('events').select(['id', 'published_at']).execute()
        const published = stored.every((row) => row.published_at !== null)
        return published && received.length >= stored.length ? received : undefined
      }, 'every stored event published and received')
    },
    async close() {
      await evaluation?.close()
      await listener.close()
      await broker.close()
      await database.close()
      await Promise.all([db.drop(), vhost.drop()])
    },
  }
  fixture.startEvaluation()
  await eventually(() => evaluation?.isReady(), 'evaluation consuming')
  return fixture
}
