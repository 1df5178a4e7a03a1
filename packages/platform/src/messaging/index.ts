import path from 'node:path'
import type { Registry } from 'prom-client'
import Type from 'typebox'
import type { Logger } from '../log/index.ts'
import { embeddedBroker } from './embedded-broker.ts'
import { messagingMetrics } from './metrics.ts'
import { rabbitmqBroker } from './rabbitmq-broker.ts'
import type { Broker, Topic } from './types.ts'

export * from './types.ts'
export { createBatcher } from './batcher.ts'
export { inProducerSpan } from './tracing.ts'

/**
 * Connects to the broker named by `url`: `amqp://user:pass@host:5672/vhost` for RabbitMQ, or
 * `embedded://name` for the embedded broker of embedded mode (every connection to the same name
 * in one process shares one broker), which keeps its durable queues and persistent messages on
 * disk across a crash when the URL names a journal folder (see {@link journaledBrokerUrl}). Both
 * honour the same contract; see {@link Broker}.
 *
 * @example
 * const broker = connectBroker({ url: config.AMQP_URL, log, metrics: app.metricsRegistry })
 * await broker.publish(positionReported, report) // a topic of @convoy/contracts
 */
export function connectBroker(options: { url: string; log: Logger; metrics?: Registry }): Broker {
  const metrics = messagingMetrics(options.metrics)
  const log = options.log.child({ component: 'broker' })
  if (options.url.startsWith('embedded:')) return embeddedBroker(options.url, log, metrics)
  if (/^amqps?:/.test(options.url)) return rabbitmqBroker(options.url, log, metrics)
  throw new Error(`unsupported broker URL scheme: ${options.url.split(':')[0]}`)
}

/**
 * The URL of an embedded broker that keeps a journal in `dir`, so that what RabbitMQ would keep
 * on disk (durable queues, their bindings, persistent messages, unacked deliveries, retries and
 * dead letters) survives a crash of this process: `embedded://name?journal=<dir>`.
 *
 * @example
 * const url = journaledBrokerUrl('convoy', path.join(dataDir, 'broker'))
 * const broker = connectBroker({ url, log })
 */
export function journaledBrokerUrl(name: string, dir: string): string {
  return `embedded://${name}?journal=${encodeURIComponent(path.resolve(dir))}`
}

/**
 * `topic` with any body: for tests alone, which publish what no producer may (a malformed body,
 * an unknown version) to see its consumers dead-letter it. Named so that a use is plain to see,
 * and found by a search, where a cast would hide among the others.
 *
 * @example
 * await broker.publish(untypedTopic(positionReported), { vehicle: 'Van', lat: 'north' })
 */
export function untypedTopic({ exchange, routingKey }: Topic) {
  return { exchange, routingKey, schema: Type.Unknown() }
}
