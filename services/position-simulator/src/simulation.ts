import { Counter, Gauge, type Registry } from 'prom-client'
import { positionReported, type PositionReport } from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'
import { inProducerSpan, type Broker } from '@convoy/platform/messaging'
import { positionAt, type SimulatedVehicle } from './simulated-fleet.ts'

const TICK_MS = 50

/**
 * Reports every vehicle's position once per `intervalMs`, spread evenly over the interval so the
 * broker sees a steady rate rather than a burst. Reports wait for the broker's confirm; when
 * more than `maxInFlight` are unconfirmed (broker slow or down) a vehicle skips its turn
 * rather than letting memory grow.
 */
export function startSimulation(options: {
  fleet: SimulatedVehicle[]
  broker: Broker
  log: Logger
  metrics: Registry
  intervalMs: number
  speedup: number
  maxInFlight: number
}) {
  const { fleet, broker, log } = options
  const published = new Counter({
    name: 'simulator_reports_published_total',
    help: 'Position reports confirmed by the broker',
    registers: [options.metrics],
  })
  const skipped = new Counter({
    name: 'simulator_reports_skipped_total',
    help: 'Reports skipped or failed: broker slow or down',
    registers: [options.metrics],
  })
  new Gauge({ name: 'simulator_vehicles', help: 'Vehicles driving', registers: [options.metrics] }).set(
    fleet.length,
  )

  let next = 0
  let carry = 0
  let inFlight = 0
  let lastFailureLog = 0
  const pending = new Set<Promise<void>>()

  function report(index: number, now: number) {
    const vehicle = fleet[index]!
    if (inFlight >= options.maxInFlight) return skipped.inc()
    // The simulation clock is the wall clock, sped up: a restart continues where it left off.
    const { lat, lng } = positionAt(vehicle, (now / 1000) * options.speedup)
    const timestamp = new Date(now).toISOString()
    const body: PositionReport = { vehicle: vehicle.name, lat: round(lat), lng: round(lng), timestamp }
    inFlight++
    // Each report starts a trace (with tracing on), which the tracker's consumer continues.
    const sent = inProducerSpan({ system: broker.kind, ...positionReported }, () =>
      broker.publish(positionReported, body, { messageId: `${vehicle.name}@${timestamp}` }),
    )
      .then(
        () => void published.inc(),
        (error: unknown) => {
          skipped.inc()
          if (now - lastFailureLog > 5000) {
            lastFailureLog = now
            log.warn({ err: error }, 'position reports failing to publish')
          }
        },
      )
      .finally(() => {
        inFlight--
        pending.delete(sent)
      })
    pending.add(sent)
  }

  const timer = setInterval(() => {
    const now = Date.now()
    carry += (fleet.length * TICK_MS) / options.intervalMs
    for (; carry >= 1; carry--) {
      report(next, now)
      next = (next + 1) % fleet.length
    }
  }, TICK_MS)

  log.info(
    { vehicles: fleet.length, intervalMs: options.intervalMs, speedup: options.speedup },
    'simulation started',
  )
  return {
    async close() {
      clearInterval(timer)
      await Promise.allSettled([...pending])
    },
  }
}

/** 7 decimals of a degree is about 1 cm: plenty, and shorter messages. */
const round = (degrees: number) => Math.round(degrees * 1e7) / 1e7
