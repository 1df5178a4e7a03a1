import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import { TooManyRequestsError } from '@convoy/platform/errors'
import type { HttpApp } from '@convoy/platform/http'
import type { Logger } from '@convoy/platform/log'

export interface RateLimitOptions {
  /** Requests one client may make per window. */
  max: number
  windowMs: number
  /** Where every replica counts (Valkey or Redis); without, each replica counts on its own. */
  redis?: Redis
  /** Prefix of the counters' keys in `redis`. */
  namespace?: string
}

/**
 * Limits each client to `max` requests per window, across every gateway replica when they share
 * `redis`: a client is its user once the token is checked (hooks run in order: `authenticate`
 * first), else its address. Over the limit: 429 problem+json with `Retry-After`. If the store
 * cannot be reached, requests pass (`skipOnError`): the services' own limits still hold, and an
 * outage of a counter must not take the system down with it.
 *
 * @example
 * await limitRate(app, { max: 300, windowMs: 10_000, redis })
 */
export async function limitRate(app: HttpApp, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    max: options.max,
    timeWindow: options.windowMs,
    ...(options.redis ? { redis: options.redis, nameSpace: options.namespace ?? 'convoy-rate-' } : {}),
    skipOnError: true,
    keyGenerator: (request) =>
      request.principal ? `user:${request.principal.userId}` : `address:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new TooManyRequestsError(
        `too many requests: at most ${context.max} per ${options.windowMs / 1000} s; slow down`,
        Math.ceil(context.ttl / 1000),
      ),
  })
}

/**
 * The counters' store: a Valkey or Redis client that never queues a command while disconnected
 * (it fails at once, and the request passes uncounted) and reconnects by itself.
 */
export function connectCounterStore(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(200 * attempt, 5000),
  })
  let down = false
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ err: error }, 'rate-limit store unreachable: requests go uncounted meanwhile')
    down = true
  })
  redis.on('ready', () => {
    if (down) log.info('rate-limit store reachable again')
    down = false
  })
  return redis
}
