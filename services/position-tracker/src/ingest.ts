import { Histogram, Counter, type Registry } from 'prom-client'
import { positionReported, reportProblem, vehiclesUpdated, type PositionReport } from '@convoy/contracts'
import { isConnectionError } from '@convoy/platform/errors'
import type { Logger } from '@convoy/platform/log'
import { createBatcher, type Broker } from '@convoy/platform/messaging'
import { secondsSince } from '@convoy/platform/metrics'
import type { PositionsRepository } from './repository.ts'

export const POSITIONS_QUEUE = 'position-tracker.positions'

/**
 * Consumes position reports: batches them into one transaction each, acks every report only
 * after its batch committed, then publishes the vehicles whose latest state changed.
 */
export function startIngest(options: {
  broker: Broker
  repository: PositionsRepository
  log: Logger
  metrics: Registry
  prefetch: number
  batchSize: number
  batchWaitMs: number
  flushConcurrency: number
  databaseReady: () => Promise<boolean>
}) {
  const { broker, repository, log } = options
  const stored = new Counter({
    name: 'positions_stored_total',
    help: 'Position reports written',
    registers: [options.metrics],
  })
  const latency = new Histogram({
    name: 'position_ingest_latency_seconds',
    help: 'From the time a position was reported to the time it was stored',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [options.metrics],
  })

  const batcher = createBatcher<PositionReport>({
    maxSize: options.batchSize,
    maxWaitMs: options.batchWaitMs,
    maxConcurrent: options.flushConcurrency,
    // A batch failing for another reason than a lost connection is retried report by report,
    // so one report the database refuses cannot take the others down with it.
    splitOnError: (error) => !isConnectionError(error),
    flush: async (reports) => {
      const { inserted, changed } = await repository.store(reports)
      stored.inc(inserted)
      const now = Date.now()
      for (const report of reports) latency.observe(secondsSince(report.timestamp, now))
      if (changed.length === 0) return
      // Live updates are best effort: a lost one is superseded by the next within a second.
      broker
        .publish(vehiclesUpdated, { vehicles: changed }, { persistent: false })
        .catch((error: unknown) => log.warn({ err: error }, 'live update not published'))
    },
  })

  return broker.consume({
    queue: POSITIONS_QUEUE,
    topics: [positionReported],
    check: (report) => reportProblem(report),
    prefetch: options.prefetch,
    dependenciesReady: options.databaseReady,
    handler: (delivery) => batcher.add(delivery.body),
  })
}
