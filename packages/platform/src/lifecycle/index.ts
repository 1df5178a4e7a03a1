import type { Registry } from 'prom-client'
import { createOpsApp, type HttpApp, type ReadinessCheck } from '../http/index.ts'
import type { Logger } from '../log/index.ts'
import { shutdownTelemetry } from '../telemetry/shutdown.ts'
export { startPeriodic, type PeriodicTask } from './periodic.ts'
export { spawnTied } from './tied-child.ts'
export { claimFile, ClaimedError, isOwnerGone, parseOwner, takeOwnership, type Owner } from './owner.ts'
export { claimWorkFolder, type WorkFolder } from './work-folder.ts'

/** A started service: what `main.ts` gets back from the service's `start`. */
export interface RunningService {
  log: Logger
  /** Where its API listens, once it does (a worker has none). */
  url?: string
  /** Where its operational endpoints listen: `/healthz`, `/readyz`, `/metrics`. */
  opsUrl?: string
  /**
   * A message for whoever started it, to be shown once and kept out of the logs (the first
   * admin's generated password): the launcher prints it; a process on its own prints it on stderr.
   */
  notice?: string
  /** Stop taking work, finish what is in flight, close connections. */
  close(): Promise<void>
}

/**
 * Owns the process for one or more services: starts them, and on SIGTERM or SIGINT closes them
 * (once, within `graceMs`, then flushes telemetry and exits). A failed start exits non-zero with the reason logged.
 *
 * @example
 * if (import.meta.main) runUntilSignal(() => start(process.env))
 */
export function runUntilSignal(
  start: () => Promise<RunningService>,
  options: { graceMs?: number } = {},
): void {
  const graceMs = options.graceMs ?? 25_000
  start().then(
    (service) => {
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        service.log.info({ signal }, 'shutting down')
        // Exit once the last spans are exported (tracing on; bounded: a collector that is down
        // does not hold the exit) and the log has written everything (a logger given an
        // asynchronous destination may still hold lines; createLogger's own writes synchronously).
        const exit = (code: number) =>
          void shutdownTelemetry().then(() => service.log.flush(() => process.exit(code)))
        // The last resort exits at once: a log that cannot write (a pipe nobody reads) must not
        // keep the process alive past its grace period.
        const force = setTimeout(() => {
          service.log.error({ graceMs }, 'shutdown took too long, exiting')
          process.exit(1)
        }, graceMs)
        force.unref()
        service.close().then(
          () => {
            service.log.info('stopped')
            exit(0)
          },
          (error: unknown) => {
            service.log.error({ err: error }, 'shutdown failed')
            exit(1)
          },
        )
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
      // A launcher that spawned this process with an IPC channel learns that it is up, and where.
      if (process.send)
        process.send({ type: 'started', url: service.url, opsUrl: service.opsUrl, notice: service.notice })
      else if (service.notice) process.stderr.write(`\n${service.notice}\n\n`)
    },
    (error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'start failed', err: String(error) })}\n`)
      process.exit(1)
    },
  )
}

/**
 * Runs shutdown steps in order. Every step is attempted even if an earlier one fails, so one stuck
 * dependency never leaves the others open; then, if any failed, it throws naming them.
 */
export async function closeInOrder(
  log: Logger,
  steps: Array<[name: string, close: () => unknown]>,
): Promise<void> {
  const failed: string[] = []
  for (const [name, close] of steps) {
    try {
      await close()
    } catch (error) {
      failed.push(name)
      log.warn({ err: error, step: name }, 'shutdown step failed')
    }
  }
  if (failed.length > 0) throw new Error(`shutdown steps failed: ${failed.join(', ')}`)
}

type Steps = Array<[name: string, close: () => unknown]>

export interface ServeOptions {
  log: Logger
  /**
   * Where to listen, from the service's configuration: its API on `PORT` and `HOST`, the
   * operational endpoints (`/healthz`, `/readyz`, `/metrics`) on `OPS_PORT` and `OPS_HOST`.
   */
  listen: { PORT?: number; HOST?: string; OPS_PORT: number; OPS_HOST: string }
  /** The service's API; a worker has none. */
  api?: HttpApp
  /** The registry `/metrics` serves. */
  metrics: Registry
  /** The checks `/readyz` runs. */
  readiness?: Record<string, ReadinessCheck>
  /** Stop taking work and finish what is in flight (consumers, timers), in this order. */
  drain?: Steps
  /** Connections to brokers and databases, closed last, in this order. */
  release?: Steps
}

/**
 * Starts listening, the API on its port and the operational endpoints on theirs, and returns the
 * running service (if either cannot listen, it closes everything it was given and rethrows). Its
 * `close` is the graceful shutdown every service needs, in this order: report not-ready, run the
 * `drain` steps (stop taking work, finish what is in flight), close the API (finishing requests),
 * the `release` steps (connections to brokers and databases), and the operational port last, so
 * `/readyz` answers "stopping" until the end.
 *
 * @example
 * return serve({
 *   log,
 *   listen: config,
 *   api: app,
 *   metrics,
 *   readiness: { database: database.ping },
 *   drain: [['ingest', () => ingest.close()]],
 *   release: [['broker', () => broker.close()], ['database', () => database.close()]],
 * })
 */
export async function serve(
  options: ServeOptions & { api: HttpApp; listen: { PORT: number; HOST: string } },
): Promise<RunningService & { url: string; opsUrl: string }>
export async function serve(options: ServeOptions): Promise<RunningService & { opsUrl: string }>
export async function serve(options: ServeOptions): Promise<RunningService & { opsUrl: string }> {
  const { log, api, listen } = options
  const ops = createOpsApp({ log, metrics: options.metrics, readiness: options.readiness })
  const http: Steps = api ? [['http', () => api.close()]] : []
  const close = () =>
    closeInOrder(log, [
      ['readiness', () => ops.markShuttingDown()],
      ...(options.drain ?? []),
      ...http,
      ...(options.release ?? []),
      ['ops', () => ops.close()],
    ])
  let url: string | undefined
  let opsUrl: string
  try {
    // The public port first: the one a user chose, and the likeliest to be taken.
    // A burst of new connections waits in the kernel's accept queue (up to net.core.somaxconn)
    // rather than overflowing Node's default of 511 and being refused or retried seconds later.
    if (api) url = await api.listen({ port: listen.PORT ?? 0, host: listen.HOST ?? '0.0.0.0', backlog: 4096 })
    opsUrl = await ops.listen({ port: listen.OPS_PORT, host: listen.OPS_HOST })
  } catch (error) {
    // Not listening (a port is taken...): release what the service opened before failing.
    await close().catch(() => {})
    throw error
  }
  log.info({ url, opsUrl }, 'listening')
  return { log, url, opsUrl, close }
}
