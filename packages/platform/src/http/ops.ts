import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import type { Logger } from '../log/index.ts'

/**
 * A dependency check for `/readyz`: `true` when the dependency can serve; `false`, or the reason
 * in words (`"ffprobe is not installed"`), when it cannot.
 */
export type ReadinessCheck = () => boolean | string | Promise<boolean | string>

export interface OpsAppOptions {
  log: Logger
  /** The service's registry, served on `/metrics`. */
  metrics: Registry
  readiness?: Record<string, ReadinessCheck>
}

export type OpsApp = FastifyInstance & { markShuttingDown(): void }

/**
 * The operational endpoints of a service, for the platform rather than its users, served on a
 * port of their own (`OPS_PORT`) that is never published: `/healthz` (the process is alive),
 * `/readyz` (its dependencies answer; 503 with each check's answer otherwise, and once shutting
 * down) and `/metrics` (Prometheus text).
 *
 * @example
 * const ops = createOpsApp({ log, metrics, readiness: { database: database.ping } })
 * await ops.listen({ port: 9081, host: '0.0.0.0' })
 */
export function createOpsApp(options: OpsAppOptions): OpsApp {
  let shuttingDown = false
  const app = Fastify({
    loggerInstance: options.log,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as OpsApp
  app.decorate('markShuttingDown', () => {
    shuttingDown = true
  })

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, boolean | string> = {}
    for (const [name, check] of Object.entries(options.readiness ?? {})) {
      checks[name] = await Promise.resolve()
        .then(check)
        .catch((error: unknown) => (error instanceof Error ? error.message : false))
    }
    const ready = !shuttingDown && Object.values(checks).every((answer) => answer === true)
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : shuttingDown ? 'stopping' : 'not ready', checks })
  })

  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.contentType).send(await options.metrics.metrics()),
  )

  return app
}
