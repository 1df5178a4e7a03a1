import {
  mediaFailed,
  mediaReady,
  mediaUpdated,
  notificationCreated,
  vehiclesUpdated,
} from '@convoy/contracts'
import { verifyTokens } from '@convoy/access'
import { loadConfig, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { createLiveHub } from './live-hub.ts'
import { ownerOf } from './owner.ts'
import { connectCounterStore } from './rate-limit.ts'

export const SERVICE = 'gateway'

export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log, metrics })
  const counters = config.RATE_LIMIT_REDIS_URL
    ? connectCounterStore(config.RATE_LIMIT_REDIS_URL, log)
    : undefined
  const { verifier } = tokens
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
  // A revoked user's open live feeds are closed at once (4401), on every replica.
  tokens.revocations.onRevoked((revocation) => hub.revoke(revocation))
  // Every gateway replica has its own temporary queue, so each receives every update.
  const updates = broker.consume({
    queue: 'gateway.live',
    temporary: true,
    topics: [vehiclesUpdated],
    prefetch: 100,
    handler: async (delivery) => hub.publish(delivery.body.vehicles),
  })
  // Each user's own events: their media jobs changing, their notifications.
  const mediaEvents = broker.consume({
    queue: 'gateway.media',
    temporary: true,
    topics: [mediaUpdated, mediaReady, mediaFailed],
    handler: async ({ body }) => hub.sendTo(ownerOf(body), { type: 'media', media: body.media }),
  })
  const notifications = broker.consume({
    queue: 'gateway.notifications',
    temporary: true,
    topics: [notificationCreated],
    handler: async ({ body }) =>
      hub.sendTo(ownerOf(body), { type: 'notification', notification: body.notification }),
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
    fleetEventsUrl: config.FLEET_EVENTS_URL,
    mediaUrl: config.MEDIA_URL,
    notificationUrl: config.NOTIFICATION_URL,
    webUrl: config.WEB_URL,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    uploadTimeoutMs: config.UPLOAD_TIMEOUT_MS,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    upstreamLimits: { concurrency: config.UPSTREAM_CONCURRENCY, queue: config.UPSTREAM_QUEUE },
    rateLimit: {
      max: config.RATE_LIMIT_MAX,
      windowMs: config.RATE_LIMIT_WINDOW_MS,
      redis: counters,
      namespace: config.RATE_LIMIT_PREFIX,
    },
  })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      broker: broker.isReady,
      'live updates': updates.isReady,
      'media events': mediaEvents.isReady,
      notifications: notifications.isReady,
      tokens: tokens.isReady,
    },
    drain: [
      ['live updates', () => updates.close()],
      ['media events', () => mediaEvents.close()],
      ['notifications', () => notifications.close()],
      ['live clients', () => hub.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['broker', () => broker.close()],
      ['rate-limit store', () => counters?.quit()],
    ],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
