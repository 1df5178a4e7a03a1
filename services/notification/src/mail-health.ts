import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '@convoy/platform/log'

export interface MailHealth {
  /** A send worked: the transport is up. */
  succeeded(): void
  /** A send failed: the transport is checked, with backoff, until it answers. */
  failed(error: unknown): void
  /** True unless a send failed and no check has succeeded since. */
  healthy(): Promise<boolean>
}

/**
 * Whether the mail transport can be used. After a failed send the transport is checked (an SMTP
 * connect, greeting and login), one check at a time, each answer kept until the next is due,
 * the wait between checks doubling from `minDelayMs` to `maxDelayMs`.
 */
export function mailHealth(options: {
  check: () => Promise<unknown>
  log: Logger
  metrics?: Registry
  minDelayMs?: number
  maxDelayMs?: number
}): MailHealth {
  const minDelay = options.minDelayMs ?? 500
  const maxDelay = options.maxDelayMs ?? 15_000
  const registers = options.metrics ? [options.metrics] : []
  const up = new Gauge({
    name: 'mail_transport_up',
    help: 'Whether the mail transport takes mail: 0 from a failed send until a check succeeds',
    registers,
  })
  const checks = new Counter({
    name: 'mail_transport_checks_total',
    help: 'Checks of the mail transport after a failed send, by outcome (up or down)',
    labelNames: ['outcome'] as const,
    registers,
  })
  up.set(1)

  let down = false
  let delay = minDelay
  let nextCheckAt = 0
  let checking: Promise<boolean> | undefined

  const check = async () => {
    try {
      await options.check()
      checks.inc({ outcome: 'up' })
      if (down) options.log.info('mail transport answers again')
      down = false
      up.set(1)
      return true
    } catch (error) {
      checks.inc({ outcome: 'down' })
      options.log.debug({ err: error, retryInMs: delay }, 'mail transport still down')
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
      options.log.warn({ err: error }, 'mail transport failed; checking it until it answers')
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
