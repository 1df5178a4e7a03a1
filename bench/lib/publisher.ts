/**
 * The load publisher of the ingestion benchmark: position reports through the platform's own
 * broker client (persistent messages, publisher confirms), with a fixed number of unconfirmed
 * messages in flight, and never more than `maxBacklog` published but not yet consumed, so the
 * queue stays short and what is measured is a sustained rate, not a queue filling up.
 */
import { positionReported, type PositionReport } from '@convoy/contracts'
import { connectBroker } from '@convoy/platform/messaging'
import { eventually, testLogger } from '@convoy/platform/testing'
import { sleep, withTimeout } from './args.ts'

export interface LoadPublisher {
  /** Messages the broker confirmed. */
  confirmed(): number
  failed(): number
  /** Stops publishing and resolves once every message in flight is settled. */
  stop(): Promise<void>
}

/**
 * Report `i` of a fleet of `vehicles` reporting once a second: unique (vehicle, timestamp), so
 * every message is a row of its own, and the same size as the simulator's reports.
 */
export function fleetReport(vehicles: number, start: number) {
  return (i: number): PositionReport => ({
    vehicle: `Load ${String(1 + (i % vehicles)).padStart(5, '0')}`,
    lat: round7(53.38 + (i % 997) * 1.1e-5),
    lng: round7(-1.47 - (i % 991) * 1.3e-5),
    timestamp: new Date(start + Math.floor(i / vehicles) * 1000).toISOString(),
  })
}

const round7 = (degrees: number) => Math.round(degrees * 1e7) / 1e7

export async function startPublisher(options: {
  amqpUrl: string
  inFlight: number
  maxBacklog: number
  consumed: () => number
  message: (i: number) => PositionReport
}): Promise<LoadPublisher> {
  const broker = connectBroker({ url: options.amqpUrl, log: testLogger('bench-publisher') })
  await eventually(() => broker.isReady(), 'publisher connected', 10_000)
  let issued = 0
  let confirmed = 0
  let failed = 0
  let stopping = false

  async function lane() {
    while (!stopping) {
      if (issued - options.consumed() >= options.maxBacklog) {
        await sleep(2)
        continue
      }
      const report = options.message(issued++)
      try {
        await broker.publish(positionReported, report, {
          messageId: `${report.vehicle}@${report.timestamp}`,
        })
        confirmed++
      } catch {
        failed++
      }
    }
  }
  const lanes = Array.from({ length: options.inFlight }, lane)

  return {
    confirmed: () => confirmed,
    failed: () => failed,
    async stop() {
      stopping = true
      // A confirm that never comes (seen when RabbitMQ stalls) must not hang the benchmark.
      await withTimeout(Promise.all(lanes), 30_000, 'waiting for the last confirms').catch((error: unknown) =>
        console.error(String(error)),
      )
      await withTimeout(broker.close(), 5000, 'closing the publisher').catch(() => {})
    },
  }
}

/** A count read from somewhere else (a service's metrics, a child process), kept fresh by polling. */
export interface PolledCount {
  value: () => number
  /** Reads it now. */
  refresh: () => Promise<number>
  stop: () => void
}

export function pollCount(read: () => Promise<number>, everyMs = 100): PolledCount {
  let value = 0
  const refresh = async () => (value = Math.max(value, await withTimeout(read(), 5000, 'reading a count')))
  const timer = setInterval(() => void refresh().catch(() => {}), everyMs)
  return { value: () => value, refresh, stop: () => clearInterval(timer) }
}
