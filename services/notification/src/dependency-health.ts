import type { Counter, Gauge } from 'prom-client'
import type { Logger } from '@convoy/platform/log'

export interface DependencyHealth {
  /** A use worked: the dependency is up. */
  succeeded(): void
  /** A use failed: the dependency is checked, with backoff, until it answers. */
  failed(error: unknown): void
  /** True unless a use failed and no check has succeeded since. */
  healthy(): Promise<boolean>
}

export interface DependencyHealthOptions {
  /** What it is, in the log's words: `mail transport`. */
  name: string
  /** Whether it answers now: resolves if it does. */
  check: () => Promise<unknown>
  log: Logger
  /** Its gauge, 1 while it answers (`mail_transport_up`), and its checks by outcome (up or down). */
  up: Gauge
  checks: Counter<'outcome'>
  minDelayMs?: number
  maxDelayMs?: number
}

/**
 * Whether a dependency of the notifier (the mail transport, auth's list of alert recipients) can
 * be used. After a failed use it is checked, one check at a time, each answer kept until the next
 * is due, the wait between checks doubling from `minDelayMs` (0.5 s) to `maxDelayMs` (15 s). The
 * consumers wait on it (`dependenciesReady`), so a message that needs it is held rather than
 * burning its attempts while it is down.
 */
export function dependencyHealth(options: DependencyHealthOptions): DependencyHealth {
  const { name, log, up, checks } = options
  const minDelay = options.minDelayMs ?? 500
  const maxDelay = options.maxDelayMs ?? 15_000
  up.set(1)

  let down = false
  let delay = minDelay
  let nextCheckAt = 0
  let checking: Promise<boolean> | undefined

  const check = async () => {
    try {
      await options.check()
      checks.inc({ outcome: 'up' })
      if (down) log.info(`${name} answers again`)
      down = false
      up.set(1)
      return true
    } catch (error) {
      checks.inc({ outcome: 'down' })
      log.debug({ err: error, retryInMs: delay }, `${name} still down`)
      nextCheckAt = performance.now() + delay
      delay = Math.min(delay * 2, maxDelay)
      return false
    } finally {
      checking = undefined
    }
  }

  return {
    succeeded() {
      down = false
      up.set(1)
    },
    failed(error) {
      if (down) return
      log.warn({ err: error }, `${name} failed; checking it until it answers`)
      down = true
      up.set(0)
      delay = minDelay
      nextCheckAt = 0
    },
    async healthy() {
      if (!down) return true
      if (checking) return checking
      if (performance.now() < nextCheckAt) return false
      return (checking = check())
    },
  }
}
