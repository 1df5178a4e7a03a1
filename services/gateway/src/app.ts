import proxy from '@fastify/http-proxy'
import websocket from '@fastify/websocket'
import { authenticate, type Verifier } from '@convoy/access'
import { MULTIPART_ENVELOPE_BYTES } from '@convoy/contracts'
import { GatewayTimeoutError, PayloadTooLargeError, UnavailableError } from '@convoy/platform/errors'
import { concurrencyLimit, createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { LiveHub } from './live-hub.ts'
import { limitRate, type RateLimitOptions } from './rate-limit.ts'

/** API paths open without an access token; `/api/live` takes its token in its first message. */
const PUBLIC_API = new Set([
  '/api/auth/login',
  '/api/auth/refresh',
  '/api/auth/.well-known/jwks.json',
  '/api/live',
])

/** Largest message a live-feed client may send (the auth message, later). */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024

/**
 * The public edge: `/api/auth…` to auth, `/api/vehicles…` to the tracker, `/api/geofences…`,
 * `/api/fleet-rules` and `/api/events` to fleet-events, `/api/media…` to media,
 * `/api/notifications…` to notification, `/api/live` WebSocket feed, everything else to the web app. Every `/api` request but login, refresh and the JWKS needs
 * a valid access token, checked here (and again by the service behind). Builds the app; never
 * listens (main.ts does).
 */
export async function buildApp(
  options: HttpAppOptions & {
    authUrl: string
    trackerUrl: string
    fleetEventsUrl: string
    mediaUrl: string
    notificationUrl: string
    webUrl: string
    hub: LiveHub
    verifier: Verifier
    upstreamTimeoutMs: number
    uploadTimeoutMs: number
    maxUploadBytes: number
    rateLimit: RateLimitOptions
    /**
     * Requests on their way to one service at once (its connections), and how many more may
     * wait for one; beyond, a 503 at once. Default 128 and 128.
     */
    upstreamLimits?: { concurrency: number; queue: number }
  },
) {
  const limits = options.upstreamLimits ?? { concurrency: 128, queue: 128 }
  const app = createHttpApp(options)
  app.addHook(
    'onRequest',
    authenticate(options.verifier, (path) => !path.startsWith('/api/') || PUBLIC_API.has(path)),
  )
  // After the token check (hooks run in order): a signed-in client is counted as its user.
  await limitRate(app, options.rateLimit)

  // An upload declaring more than the limit gets its 413 here. Passed on, media would refuse it
  // before reading the body and close the connection while the proxy still sends: a race in
  // which the proxy may see a broken pipe instead of the answer.
  app.addHook('onRequest', async (request) => {
    const declared = Number(request.headers['content-length'])
    if (request.method === 'POST' && request.url.split('?', 1)[0] === '/api/media')
      if (declared > options.maxUploadBytes + MULTIPART_ENVELOPE_BYTES)
        throw new PayloadTooLargeError(options.maxUploadBytes)
  })

  await app.register(websocket, {
    options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES },
    // A client breaking the protocol (an oversized message, a bad frame) is the client's fault,
    // not the gateway's: a short info line, not an error with a stack anyone could flood the log with.
    errorHandler: (error, socket, request) => {
      request.log.info({ reason: error.message }, 'live client broke the protocol, disconnected')
      socket.terminate()
    },
  })
  app.get('/api/live', { websocket: true }, (socket) => options.hub.add(socket))

  const READ = ['GET', 'HEAD']
  const forward = (
    upstream: string,
    prefix: string,
    rewritePrefix: string,
    name: string,
    httpMethods = READ,
    timeoutMs = options.upstreamTimeoutMs,
  ) => {
    // A service that cannot keep up is not queued for without end: a flood waits here in a
    // bounded line, or is told at once to come back, and the gateway's memory stays bounded.
    const line = concurrencyLimit({
      max: limits.concurrency,
      queue: limits.queue,
      what: 'requests to this path',
    })
    return app.register(proxy, {
      upstream,
      prefix,
      rewritePrefix,
      httpMethods,
      // (The proxy's types want a callback-style hook; Fastify runs it either way.)
      preHandler: (request, reply, done) => {
        line(request, reply).then(() => done(), done)
      },
      // Proxied requests are logged like any other: at debug, by the platform's hook.
      disableRequestLogging: true,
      undici: { connections: limits.concurrency, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      replyOptions: {
        // The client's address, as the gateway knows it, for the services' logs and rate limits,
        // and the request's id: the client's when it sent a sensible one, else the one made here
        // (never the client's invalid one), so the service's log lines carry the `reqId` the client
        // was answered with. `Expect: 100-continue` (curl sends it with bodies over 1 MB) was
        // answered here already; the upstream client refuses to send it on.
        rewriteRequestHeaders: (request, { expect: _, ...headers }) => ({
          ...headers,
          'x-forwarded-for': request.ip,
          'x-request-id': request.id,
        }),
        // Upstream down or too slow: a 503 or 504 problem, never a 500 or a hang. The log names the
        // service; the answer does not (which services stand behind a path is not public).
        onError: (reply, { error }) => {
          // The client went away (an upload cancelled): nothing failed upstream, nobody to answer.
          if (reply.request.raw.socket.destroyed) {
            reply.log.info({ upstream: name }, 'client went away before the answer')
            return void reply.code(499).send()
          }
          reply.log.warn({ err: error, upstream: name }, 'upstream request failed')
          const timedOut = (error as { statusCode?: number }).statusCode === 504
          void reply.send(
            timedOut
              ? new GatewayTimeoutError(
                  'the service behind this path did not answer in time; try again shortly',
                )
              : new UnavailableError('the service behind this path is unavailable; try again shortly'),
          )
        },
      },
    })
  }
  await forward(options.authUrl, '/api/auth', '/auth', 'auth', [...READ, 'POST', 'PUT', 'PATCH', 'DELETE'])
  await forward(options.trackerUrl, '/api/vehicles', '/vehicles', 'position-tracker')
  await forward(options.fleetEventsUrl, '/api/geofences', '/geofences', 'fleet-events', [
    ...READ,
    'POST',
    'PUT',
    'DELETE',
  ])
  await forward(options.fleetEventsUrl, '/api/fleet-rules', '/fleet-rules', 'fleet-events', [...READ, 'PUT'])
  await forward(options.fleetEventsUrl, '/api/events', '/events', 'fleet-events')
  // Uploads stream through (never parsed or held here) and may take minutes on a slow link.
  await forward(options.mediaUrl, '/api/media', '/media', 'media', ['POST'], options.uploadTimeoutMs)
  await forward(options.mediaUrl, '/api/media', '/media', 'media', [...READ, 'DELETE'])
  await forward(options.notificationUrl, '/api/notifications', '/notifications', 'notification')
  // An unknown API path is a 404 problem (a known one asked with another method, a 405), not the
  // web app's index.html.
  app.all('/api/*', { config: { fallback: true } }, async (request) => {
    throw app.noRoute(request)
  })
  await forward(options.webUrl, '/', '/', 'web')
  return app
}
