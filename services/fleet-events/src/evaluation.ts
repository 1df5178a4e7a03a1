import { Counter, Histogram, type Registry } from 'prom-client'
import { positionReported, reportProblem, type PositionReport } from '@convoy/contracts'
import { isConnectionError } from '@convoy/platform/errors'
import { createBatcher, type Broker } from '@convoy/platform/messaging'
import type { EventOutbox } from './outbox.ts'
import { fenceCache, type FleetRepository } from './repository.ts'

/** fleet-events' own copy of every report: its queue, bound like the tracker's to `position.reported`. */
export const POSITIONS_QUEUE = 'fleet-events.positions'

/**
 * Consumes position reports: evaluates them in batches, one transaction each, publishes the
 * events a batch fired once it committed, and only then acknowledges its reports. Invalid reports
 * are dead-lettered by the messaging kit, against the report's contract, like the tracker's.
 *
 * Batches are evaluated one at a time, in the order their reports arrived: a report that comes
 * after a newer one of its vehicle is late and ignored, so a replica does not reorder what it takes.
 */
export function startEvaluation(options: {
  broker: Broker
  repository: FleetRepository
  outbox: EventOutbox
  metrics: Registry
  prefetch: number
  batchSize: number
  batchWaitMs: number
  databaseReady: () => Promise<boolean>
}) {
  const { repository, outbox } = options
  const positions = new Counter({
    name: 'positions_evaluated_total',
    help: 'Position reports taken by fleet-events: evaluated, or late (no newer than the vehicle’s state) and ignored',
    labelNames: ['outcome'] as const,
    registers: [options.metrics],
  })
  for (const outcome of ['evaluated', 'late'] as const) positions.inc({ outcome }, 0)
  const duration = new Histogram({
    name: 'fleet_evaluation_duration_seconds',
    help: 'Seconds to evaluate a batch of positions against the geofences and rules, in one transaction',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.metrics],
  })
  const fences = fenceCache()

  const batcher = createBatcher<PositionReport>({
    maxSize: options.batchSize,
    maxWaitMs: options.batchWaitMs,
    // A batch failing for another reason than a lost connection is retried report by report.
    splitOnError: (error) => !isConnectionError(error),
    flush: async (reports) => {
      const end = duration.startTimer()
      const { events, evaluated, late } = await repository.evaluate(reports, fences)
      end()
      positions.inc({ outcome: 'evaluated' }, evaluated)
      positions.inc({ outcome: 'late' }, late)
      await outbox.publish(events)
    },
  })

  return options.broker.consume({
    queue: POSITIONS_QUEUE,
    topics: [positionReported],
    check: (report) => reportProblem(report),
    prefetch: options.prefetch,
    dependenciesReady: options.databaseReady,
    handler: (delivery) => batcher.add(delivery.body),
  })
}
