import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Socket } from 'node:net'
import Fastify, { LogController, type FastifyInstance, type FastifyError } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Registry } from 'prom-client'
import type { Logger } from '../log/index.ts'
import { AppError, isConnectionError, PROBLEM_CONTENT_TYPE, problem } from '../errors/index.ts'
import { allowedMethods } from './allowed-methods.ts'
import { strictParameters } from './decimal-numbers.ts'
import { createMetrics } from '../metrics/index.ts'
import { httpDurationHistogram } from './metrics.ts'

export { createOpsApp, type OpsApp, type ReadinessCheck } from './ops.ts'
export { MethodNotAllowedError, type FallbackConfig } from './allowed-methods.ts'
export { concurrencyLimit, OverloadedError, type ConcurrencyLimitOptions } from './concurrency.ts'

export interface HttpAppOptions {
  service: string
  log: Logger
  /** Registry the app's request metrics go to (served by the ops app); one is created when absent. */
  metrics?: Registry
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number
  /**
   * Proxies whose `X-Forwarded-For` is believed, so `request.ip` is the client's address: Fastify's
   * `trustProxy` (e.g. `'127.0.0.1,10.0.0.0/8'`). Default: none.
   */
  trustProxy?: string
}

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
> & {
  metricsRegistry: Registry
  /** The 404 or 405 (with `Allow`) for a request no route takes: what a fallback route throws. */
  noRoute(request: import('fastify').FastifyRequest): AppError
}

/** How much of an unread body is read and dropped after an early answer, at most, and for how long. */
const LINGER_BYTES = 16 * 1024 * 1024
const LINGER_MS = 2000

/**
 * A request answered before its body was read (refused: too large, wrong role, not a video):
 * the rest of the body is read and dropped for a short while, so the client, still sending, gets
 * to read the answer (closing at once would reset the connection under it, and it would see a
 * broken pipe instead of the 413). Past `LINGER_BYTES` or `LINGER_MS` the connection is cut: a
 * client sending a gigabyte is not read to the end.
 */
function lingerThenClose(
  request: import('node:http').IncomingMessage,
  reply: { header(name: string, value: string): unknown },
) {
  const socket = request.socket
  // Injected requests (tests) have no connection to keep open or cut.
  if (!(socket instanceof Socket)) return
  let read = 0
  const cut = () => socket.destroy()
  const timer = setTimeout(cut, LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
  // The answer says the connection ends with it; Node then ends it and destroys it at once.
  // Instead: end the sending side only (the client sees the answer, then the end), and keep
  // reading what the client still sends until it stops, or the limits say enough.
  void reply.header('connection', 'close')
  socket.destroySoon = () => void socket.end()
  socket.on('data', (chunk: Buffer) => {
    read += chunk.length
    if (read > LINGER_BYTES) cut()
  })
  request.resume()
}

/** `Payload Too Large` → `payload-too-large`: a stable problem type for Fastify's own 4xx errors. */
const slug = (status: number) =>
  (STATUS_CODES[status] ?? 'Bad Request').toLowerCase().replace(/[^a-z0-9]+/g, '-')

const REQUEST_ID = /^[\w.:-]{1,128}$/

/**
 * A service's API as a Fastify app with the platform's conventions: request ids, problem+json
 * errors, RED metrics (in `metricsRegistry`). The operational routes are not here: they have a
 * port of their own ({@link createOpsApp}, started by `serve` in `@convoy/platform/lifecycle`).
 *
 * @example
 * const app = createHttpApp({ service: 'gateway', log, metrics })
 * app.get('/hello', async () => ({ hello: 'world' }))
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const registry = options.metrics ?? createMetrics(options.service)
  const duration = httpDurationHistogram(registry)

  const app = Fastify({
    loggerInstance: options.log,
    // Fastify's per-request info lines would dominate the log and the cost of a fast route;
    // the onResponse hook below logs each request at debug level instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // No type coercion: a JSON body's `123` is not the string "123". Query and path parameters,
    // which are text, are converted by the route's schema, strictly (decimal-numbers.ts).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    // A request Node's parser refuses (headers over 16 kB, a broken request line): problem+json
    // too, written straight to the socket, since there is no request to reply to.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return void socket.destroy()
      const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
      const title = STATUS_CODES[status]!
      const body = JSON.stringify(
        problem(
          status,
          slug(status),
          title,
          status === 431 ? 'the request headers are too large' : 'the request is malformed',
        ),
      )
      socket.end(
        `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
    },
    // Errors Fastify raises before routing (a malformed or oversized URL): problem+json too,
    // without echoing the URL back.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode ?? 400
      const detail =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed'
      void sendProblem(
        reply,
        problem(
          status,
          status === 414 ? 'uri-too-long' : 'bad-request',
          status === 414 ? 'URI Too Long' : 'Bad Request',
          detail,
        ),
      )
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp

  app.decorate('metricsRegistry', registry)
  app.decorate('noRoute', allowedMethods(app))
  strictParameters(app)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // API answers are for the caller alone and never to be sniffed into another type. A route that
  // sets its own Cache-Control (the JWKS, the web app's assets) keeps it.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    if (!reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store')
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    duration.observe(
      { method: request.method, route, status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    )
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request served',
    )
  })

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (!request.raw.complete) lingerThenClose(request.raw, reply)
    // The client went away mid-request (an upload cancelled): nobody to answer, nothing broken.
    if (request.raw.errored && request.raw.destroyed) {
      request.log.info({ url: request.url }, 'client went away before the request was complete')
      return reply.code(499).send()
    }
    if (error instanceof AppError) {
      void reply.headers(error.headers)
      return sendProblem(reply, problem(error.status, error.code, error.title, error.message))
    }
    if (error.validation) {
      return sendProblem(reply, problem(400, 'bad-request', 'Bad Request', error.message))
    }
    const status = error.statusCode ?? 500
    if (status < 500) {
      const detail =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `a ${request.headers['content-type'] ?? 'body without a Content-Type'} is not accepted here; send JSON with Content-Type: application/json`
          : error.message
      return sendProblem(reply, problem(status, slug(status), STATUS_CODES[status] ?? 'Bad Request', detail))
    }
    if (isConnectionError(error)) {
      request.log.warn({ err: error, url: request.url }, 'dependency unavailable')
      return sendProblem(
        reply,
        problem(503, 'unavailable', 'Service Unavailable', 'a dependency is unavailable; try again shortly'),
      )
    }
    request.log.error({ err: error, url: request.url }, 'request failed')
    return sendProblem(
      reply,
      problem(500, 'internal', 'Internal Server Error', 'the server failed to handle this request'),
    )
  })

  app.setNotFoundHandler((request) => {
    throw app.noRoute(request)
  })

  return app
}

function sendProblem(reply: import('fastify').FastifyReply, body: ReturnType<typeof problem>) {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body)
}
