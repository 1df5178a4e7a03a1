import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Registry } from 'prom-client'
import type { Logger } from '../log/index.ts'
import { createMetrics } from '../metrics/index.ts'
import { allowedMethods, mirrorRoutes, type NoRoute, ROUTER_OPTIONS } from './plugins/allowed-methods.ts'
import { clientErrorProblem, frameworkErrorProblem, problems } from './plugins/problems.ts'
import { requestIdOf, requestIds } from './plugins/request-id.ts'
import { requestMetrics } from './plugins/request-metrics.ts'
import { securityHeaders } from './plugins/security-headers.ts'
import { NO_COERCION, strictParameters } from './plugins/strict-parameters.ts'

export { createOpsApp, type OpsApp, type ReadinessCheck } from './ops.ts'
export { MethodNotAllowedError, type FallbackConfig } from './plugins/allowed-methods.ts'
export { attachment } from './attachment.ts'
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

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, TypeBoxTypeProvider> &
  NoRoute & { metricsRegistry: Registry }

/**
 * A service's API as a Fastify app with the platform's conventions, a plugin each (`plugins/`):
 * request ids, 404 and 405, strict query and path parameters, problem+json errors, security
 * headers, RED metrics (in `metricsRegistry`) and a debug log line per request. The operational
 * routes are not here: they have a port of their own ({@link createOpsApp}, started by `serve` in
 * `@convoy/platform/lifecycle`).
 *
 * @example
 * const app = createHttpApp({ service: 'gateway', log, metrics })
 * app.get('/hello', async () => ({ hello: 'world' }))
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const app = Fastify({
    loggerInstance: options.log,
    // Requests are logged at debug level by requestMetrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    routerOptions: ROUTER_OPTIONS,
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    // What only Fastify's options can do, each from the module of its concern.
    requestIdHeader: false,
    genReqId: requestIdOf,
    ajv: { customOptions: NO_COERCION },
    clientErrorHandler: clientErrorProblem,
    frameworkErrors: frameworkErrorProblem,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp

  // Plugins load when the app starts, after the caller has added its routes, so what cannot wait
  // is done now: the caller may hand the registry on before the start, and an onRoute hook sees
  // only the routes added after it.
  const registry = options.metrics ?? createMetrics(options.service)
  app.decorate('metricsRegistry', registry)
  const routes = mirrorRoutes(app)

  // In the order a request meets them. Registered before anything the caller adds, their hooks
  // run before the caller's (a request the caller refuses has its id and headers all the same).
  void app.register(requestIds)
  void app.register(allowedMethods, { routes })
  void app.register(strictParameters)
  void app.register(problems)
  void app.register(securityHeaders)
  void app.register(requestMetrics, { registry })
  return app
}
