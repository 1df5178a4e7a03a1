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
