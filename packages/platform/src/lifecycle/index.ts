import type { HttpApp } from '../http/index.ts'
import type { Logger } from '../log/index.ts'
export { startPeriodic, type PeriodicTask } from './periodic.ts'

/** A started service: what `main.ts` gets back from the service's `start`. */
export interface RunningService {
  log: Logger
  /** Where it listens, once it does. */
  url?: string
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
 * (once, within `graceMs`, then exits). A failed start exits non-zero with the reason logged.
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
        const force = setTimeout(() => {
          service.log.error({ graceMs }, 'shutdown took too long, exiting')
          process.exit(1)
        }, graceMs)
        force.unref()
        service.close().then(
          () => {
            service.log.info('stopped')
            process.exit(0)
          },
          (error: unknown) => {
            service.log.error({ err: error }, 'shutdown failed')
            process.exit(1)
          },
        )
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
      // A launcher that spawned this process with an IPC channel learns that it is up, and where.
      if (process.send) process.send({ type: 'started', url: service.url, notice: service.notice })
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

/**
 * Starts listening and returns the running service (if it cannot listen, it closes everything
 * it was given and rethrows). Its `close` is the graceful shutdown every
 * service needs, in this order: report not-ready, run the `drain` steps (stop taking work, finish
 * what is in flight), close the HTTP server (finishing requests), then the `release` steps
 * (connections to brokers and databases).
 *
 * @example
 * return serve(app, { port: config.PORT, host: config.HOST, log, drain: [['ingest', () => ingest.close()]],
 *   release: [['broker', () => broker.close()], ['database', () => database.close()]] })
 */
export async function serve(
  app: HttpApp,
  options: { port: number; host: string; log: Logger; drain?: Steps; release?: Steps },
): Promise<RunningService & { url: string }> {
  const { log } = options
  const close = () =>
    closeInOrder(log, [
      ['readiness', () => app.markShuttingDown()],
      ...(options.drain ?? []),
      ['http', () => app.close()],
      ...(options.release ?? []),
    ])
  let url: string
  try {
    url = await app.listen({ port: options.port, host: options.host })
  } catch (error) {
    // Not listening (the port is taken...): release what the service opened before failing.
    await close().catch(() => {})
    throw error
  }
  log.info({ url }, 'listening')
  return { log, url, close }
}
