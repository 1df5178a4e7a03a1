import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A Prometheus registry for one service: default process metrics plus anything the service adds.
 * One registry per service (not prom-client's global one) so embedded mode can host every service
 * in one process without their series colliding. Each part defines its own series where it counts
 * them (the HTTP app's in `http`, the broker's in `messaging`, a service's in the service), on the
 * registry it is given; the ops app serves it on `/metrics`.
 *
 * @example
 * const metrics = createMetrics('position-tracker')
 * const app = createHttpApp({ service: 'position-tracker', log, metrics })
 */
export function createMetrics(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}

/**
 * Seconds from `time` (epoch milliseconds, or RFC 3339 text as reports and events carry it) to
 * `now`: the age a freshness or lag histogram observes. Never below 0: a clock behind the one that
 * stamped the time reads 0, not an age no bucket holds.
 *
 * @example
 * latency.observe(secondsSince(report.timestamp))
 */
export function secondsSince(time: number | string, now = Date.now()): number {
  return Math.max(0, now - (typeof time === 'number' ? time : Date.parse(time))) / 1000
}
