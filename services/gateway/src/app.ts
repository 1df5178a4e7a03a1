import proxy from '@fastify/http-proxy'
import websocket from '@fastify/websocket'
import { NotFoundError, UnavailableError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { LiveHub } from './live-hub.ts'

/** Largest message a live-feed client may send (the auth message, later). */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024

/**
 * The public edge: `/api/vehicles…` to the tracker, `/api/live` WebSocket feed, everything else
 * to the web app. Builds the app; never listens (main.ts does).
 */
export async function buildApp(
  options: HttpAppOptions & { trackerUrl: string; webUrl: string; hub: LiveHub },
) {
  const app = createHttpApp(options)

  await app.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } })
  app.get('/api/live', { websocket: true }, (socket) => options.hub.add(socket))

  const route = (upstream: string, prefix: string, rewritePrefix: string, name: string) =>
    app.register(proxy, {
      upstream,
      prefix,
      rewritePrefix,
      httpMethods: ['GET', 'HEAD'],
      replyOptions: {
        // Upstream down or timing out: a 503 problem naming the service, never a 500.
        onError: (reply, { error }) => {
          reply.log.warn({ err: error, upstream: name }, 'upstream request failed')
          void reply.send(new UnavailableError(`${name} is unavailable; try again shortly`))
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
