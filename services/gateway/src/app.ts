import proxy from '@fastify/http-proxy'
import websocket from '@fastify/websocket'
import { GatewayTimeoutError, NotFoundError, UnavailableError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { LiveHub } from './live-hub.ts'

/** Largest message a live-feed client may send (the auth message, later). */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024

/**
 * The public edge: `/api/vehicles…` to the tracker, `/api/live` WebSocket feed, everything else
 * to the web app. Builds the app; never listens (main.ts does).
 */
export async function buildApp(
  options: HttpAppOptions & { trackerUrl: string; webUrl: string; hub: LiveHub; upstreamTimeoutMs: number },
) {
  const app = createHttpApp(options)

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

  const route = (upstream: string, prefix: string, rewritePrefix: string, name: string) =>
    app.register(proxy, {
      upstream,
      prefix,
      rewritePrefix,
      httpMethods: ['GET', 'HEAD'],
      // Proxied requests are logged like any other: at debug, by the platform's hook.
      disableRequestLogging: true,
      undici: { headersTimeout: options.upstreamTimeoutMs, bodyTimeout: options.upstreamTimeoutMs },
      replyOptions: {
        // Upstream down or too slow: a 503 or 504 problem naming the service, never a 500 or a hang.
        onError: (reply, { error }) => {
          reply.log.warn({ err: error, upstream: name }, 'upstream request failed')
          const timedOut = (error as { statusCode?: number }).statusCode === 504
          void reply.send(
            timedOut
              ? new GatewayTimeoutError(`${name} did not answer within ${options.upstreamTimeoutMs} ms`)
              : new UnavailableError(`${name} is unavailable; try again shortly`),
          )
        },
      },
    })
  await route(options.trackerUrl, '/api/vehicles', '/vehicles', 'position-tracker')
  // An unknown API path is a 404 problem, not the web app's index.html.
  app.all('/api/*', async (request) => {
    throw new NotFoundError(`no route for ${request.method} ${request.url.split('?')[0]}`)
  })
  await route(options.webUrl, '/', '/', 'web')
  return app
}
