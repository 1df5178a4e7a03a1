import type { Registry } from 'prom-client'
import type { Logger } from '../log/index.ts'
import { memoryBroker } from './memory-broker.ts'
import { messagingMetrics } from './metrics.ts'
import { rabbitmqBroker } from './rabbitmq-broker.ts'
import type { Broker } from './types.ts'

export * from './types.ts'
export { createBatcher } from './batcher.ts'

/**
 * Connects to the broker named by `url`: `amqp://user:pass@host:5672/vhost` for RabbitMQ, or
 * `memory://name` for the in-process broker of embedded mode (every connection to the same name
 * in one process shares one broker). Both honour the same contract; see {@link Broker}.
 *
 * @example
 * const broker = connectBroker({ url: config.AMQP_URL, log, metrics: app.metricsRegistry })
 * await broker.publish('positions', 'position.reported', report)
 */
export function connectBroker(options: { url: string; log: Logger; metrics?: Registry }): Broker {
  const metrics = messagingMetrics(options.metrics)
  const log = options.log.child({ component: 'broker' })
  if (options.url.startsWith('memory:')) return memoryBroker(options.url, log, metrics)
  if (/^amqps?:/.test(options.url)) return rabbitmqBroker(options.url, log, metrics)
  throw new Error(`unsupported broker URL scheme: ${options.url.split(':')[0]}`)
}
