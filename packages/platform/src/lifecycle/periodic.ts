import type { Logger } from '../log/index.ts'

export interface PeriodicTask {
  /** Stops planning runs and resolves once the one under way (if any) has ended. */
  close(): Promise<void>
}

/**
 * Runs `task` every `everyMs` in the background: the next run is planned when one ends, so slow
 * runs never pile up; a failed run is logged as `<name> failed` and the next one comes anyway.
 * `task` gets `stopped()` to end a long run early at shutdown.
 *
 * @example
 * const retention = startPeriodic({ name: 'retention sweep', everyMs: 60_000, log, task: sweep })
 * // at shutdown:
 * await retention.close()
 */
export function startPeriodic(options: {
  name: string
  everyMs: number
  log: Logger
  task: (stopped: () => boolean) => Promise<void>
}): PeriodicTask {
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout
  const schedule = () => {
    timer = setTimeout(() => {
      running = options
        .task(() => stopped)
        .catch((error: unknown) => options.log.warn({ err: error }, `${options.name} failed`))
        .finally(() => stopped || schedule())
    }, options.everyMs)
    timer.unref()
  }
  schedule()
  return {
    async close() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
