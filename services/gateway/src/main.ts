import { VEHICLES_EXCHANGE, VEHICLES_UPDATED, VehiclesUpdated } from '@convoy/contracts'
import { verifierFromConfig } from '@convoy/platform/auth'
import { loadConfig, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/http'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { createLiveHub } from './live-hub.ts'

export const SERVICE = 'gateway'

export async function start(env: Env): Promise<RunningService & { url: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const verifier = verifierFromConfig(config)
  const hub = createLiveHub({
    verifier,
    authTimeoutMs: config.LIVE_AUTH_TIMEOUT_MS,
    log,
    metrics,
    flushMs: config.LIVE_FLUSH_MS,
    maxBufferedBytes: config.LIVE_MAX_BUFFERED_BYTES,
    maxClients: config.LIVE_MAX_CLIENTS,
    pingMs: config.LIVE_PING_MS,
  })
  // Every gateway replica has its own temporary queue, so each receives every update.
  const updates = broker.consume({
    queue: 'gateway.live',
    temporary: true,
    exchange: VEHICLES_EXCHANGE,
    routingKeys: [VEHICLES_UPDATED],
    schema: VehiclesUpdated,
    prefetch: 100,
    handler: async (delivery) => hub.publish(delivery.body.vehicles),
  })

  const app = await buildApp({
    service: SERVICE,
    log,
    metrics,
    hub,
    verifier,
    trustProxy: config.TRUST_PROXY,
    authUrl: config.AUTH_URL,
    trackerUrl: config.POSITION_TRACKER_URL,
    webUrl: config.WEB_URL,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    readiness: { broker: broker.isReady, 'live updates': updates.isReady },
  })
  return serve(app, {
    port: config.PORT,
    host: config.HOST,
    log,
    drain: [
      ['live updates', () => updates.close()],
      ['live clients', () => hub.close()],
    ],
    release: [['broker', () => broker.close()]],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
