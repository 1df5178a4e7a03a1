import { Counter, Gauge, type Registry } from 'prom-client'
import { Compile } from 'typebox/compile'
import { AlertRecipients } from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'
import { dependencyHealth } from './dependency-health.ts'

/** Whom fleet alerts are emailed to, as auth says. */
export interface RecipientSource {
  /** The users to email a fleet alert to now; rejects while auth does not answer. */
  current(): Promise<AlertRecipients>
  /** False from a failed read until a check reads the list again (with backoff). */
  healthy(): Promise<boolean>
}

export interface RecipientOptions {
  /** Auth's `GET /internal/alert-recipients`. */
  url: string
  /** How long one read serves the alerts that follow it (0: every alert reads the list). */
  cacheMs: number
  /** Longest wait for auth's answer. Default 5 s. */
  timeoutMs?: number
  log: Logger
  metrics?: Registry
  /** Backoff of the checks after a failed read (default 0.5 s doubling to 15 s). */
  checkDelayMs?: { min: number; max: number }
}

const isRecipients = Compile(AlertRecipients)

/**
 * Reads auth's list of whom to email fleet alerts when an alert needs it. A burst of alerts (a
 * depot's geofence at the morning's departures) shares one read: the list is kept `cacheMs`, and
 * alerts that ask while a read is under way wait for it. While auth does not answer (down, a 5xx,
 * an answer that is not the list) the source is unhealthy until a check reads it again: the
 * notifier holds the alerts meanwhile rather than lose their emails.
 */
export function alertRecipientsFrom(options: RecipientOptions): RecipientSource {
  const timeoutMs = options.timeoutMs ?? 5000
  let kept: { until: number; list: AlertRecipients } | undefined
  let reading: Promise<AlertRecipients> | undefined

  async function fetchList(): Promise<AlertRecipients> {
    const response = await fetch(options.url, { signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) throw new Error(`alert recipients: HTTP ${response.status}`)
    const body: unknown = await response.json()
    if (!isRecipients.Check(body)) throw new Error('alert recipients: not a list of recipients')
    kept = { until: performance.now() + options.cacheMs, list: body }
    return body
  }
  const read = () =>
    (reading ??= fetchList().finally(() => {
      reading = undefined
    }))

  const registers = options.metrics ? [options.metrics] : []
  const health = dependencyHealth({
    name: "auth's alert recipients",
    check: read,
    log: options.log,
    up: new Gauge({
      name: 'alert_recipients_up',
      help: 'Whether auth answers whom to email fleet alerts: 0 from a failed read until a check succeeds',
      registers,
    }),
    checks: new Counter({
      name: 'alert_recipients_checks_total',
      help: "Checks of auth's list of alert recipients after a failed read, by outcome (up or down)",
      labelNames: ['outcome'] as const,
      registers,
    }),
    minDelayMs: options.checkDelayMs?.min,
    maxDelayMs: options.checkDelayMs?.max,
  })

  return {
    async current() {
      if (kept && performance.now() < kept.until) return kept.list
      try {
        const list = await read()
        health.succeeded()
        return list
      } catch (error) {
        health.failed(error)
        throw error
      }
    },
    healthy: () => health.healthy(),
  }
}
