import fp from 'fastify-plugin'
import { Histogram, type Registry } from 'prom-client'

export interface RequestMetricsOptions {
  /** The service's registry (served by the ops app). */
  registry: Registry
}

/**
 * Each request served, once answered: a RED observation in `http_server_request_duration_seconds`
 * (by method, route pattern and status; `unmatched` for a request no route took, so a scan of
 * made-up paths cannot grow the series without end) and a log line at debug level. Fastify's own
 * request logging is off (see `createHttpApp`): an info line per request would dominate the log and
 * the cost of a fast route.
 */
export const requestMetrics = fp<RequestMetricsOptions>(
  async (app, { registry }) => {
    const duration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests served, by route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
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
  },
  { name: 'request-metrics' },
)
