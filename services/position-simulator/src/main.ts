import { loadConfig, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { loadTracks } from '@convoy/tracks'
import { Config } from './config.ts'
import { createFleet } from './simulated-fleet.ts'
import { startSimulation } from './simulation.ts'

export const SERVICE = 'position-simulator'

export async function start(env: Env): Promise<RunningService & { opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const fleet = createFleet(await loadTracks(), config.VEHICLES, config.SYNTHETIC_VEHICLES)

  const simulation = startSimulation({
    fleet,
    broker,
    log,
    metrics,
    intervalMs: config.REPORT_INTERVAL_MS,
    speedup: config.SPEEDUP,
    maxInFlight: config.MAX_IN_FLIGHT,
  })
  return serve({
    log,
    listen: config,
    metrics,
    readiness: { broker: broker.isReady },
    drain: [['simulation', () => simulation.close()]],
    release: [['broker', () => broker.close()]],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
