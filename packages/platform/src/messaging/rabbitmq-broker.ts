import { randomUUID } from 'node:crypto'
import { Connection, type AsyncMessage, type Publisher } from 'rabbitmq-client'
import type { Logger } from '../log/index.ts'
import { deliveryProcessor } from './delivery.ts'
import type { MessagingMetrics } from './metrics.ts'
import { startConsumer } from './rabbitmq-consumer.ts'
import { withTraceContext } from './tracing.ts'
import {
  ATTEMPT_HEADER,
  DEATH_REASON_HEADER,
  deadLetterQueue,
  DELIVERY_LIMIT,
  PUBLISHED_AT_HEADER,
  retryQueue,
  type Broker,
  type ConsumerSpec,
  type PublishOptions,
  type Topic,
} from './types.ts'

const QUORUM = { 'x-queue-type': 'quorum' } as const

/**
 * RabbitMQ through `rabbitmq-client`, which reconnects by itself and re-declares the topology
 * on every reconnect. Durable topic exchanges, quorum queues, publisher confirms, manual acks,
 * bounded prefetch. Each queue `q` has `q.retry` (messages wait out their backoff there, then
 * expire back into `q`) and `q.dead`.
 */
export function rabbitmqBroker(url: string, log: Logger, metrics: MessagingMetrics): Broker {
  const connection = new Connection({ url, connectionName: 'convoy', retryLow: 200, retryHigh: 5000 })
  connection.on('error', (error) => log.warn({ err: error }, 'broker connection error'))
  connection.on('connection', () => log.info('broker connected'))

  const declaredExchanges = new Set<string>()
  const publisher: Publisher = connection.createPublisher({ confirm: true, maxAttempts: 3 })
  const subscriptions = new Set<{ close(): Promise<void> }>()

  async function declareExchange(exchange: string) {
    if (exchange === '' || declaredExchanges.has(exchange)) return
    await connection.exchangeDeclare({ exchange, type: 'topic', durable: true })
    declaredExchanges.add(exchange)
  }
  // A reconnect may land on a broker that lost its state (a fresh node): declare again.
  connection.on('connection', () => declaredExchanges.clear())

  return {
    kind: 'rabbitmq',
    isReady: () => connection.ready,
    async publish({ exchange, routingKey }, body, options: PublishOptions = {}) {
      await declareExchange(exchange)
      await publisher.send(
        {
          exchange,
          routingKey,
          messageId: options.messageId ?? randomUUID(),
          durable: options.persistent ?? true,
          headers: { ...withTraceContext(options.headers), [PUBLISHED_AT_HEADER]: String(Date.now()) },
        },
        // An object body is sent as JSON with content type application/json.
        body,
      )
      metrics.published.inc({ exchange })
    },

    consume<T extends Topic>(spec: ConsumerSpec<T>) {
      const prefetch = spec.prefetch ?? 32
      const durable = !spec.temporary
      const queue = spec.temporary ? `${spec.queue}.${randomUUID()}` : spec.queue
      const processor = deliveryProcessor({ ...spec, queue }, log, metrics, 'rabbitmq')

      const retry = (message: AsyncMessage, delayMs: number, nextAttempt: number) =>
        publisher.send(
          {
            exchange: '',
            routingKey: retryQueue(queue),
            messageId: message.messageId,
            durable: true,
            contentType: 'application/json',
            expiration: String(delayMs),
            headers: { ...message.headers, [ATTEMPT_HEADER]: nextAttempt },
          },
          message.body,
        )
      const deadLetter = async (message: AsyncMessage, reason: string) => {
        if (!durable) return
        await publisher.send(
          {
            exchange: '',
            routingKey: deadLetterQueue(queue),
            messageId: message.messageId,
            durable: true,
            contentType: 'application/json',
            headers: { ...message.headers, [DEATH_REASON_HEADER]: reason.slice(0, 1000) },
          },
          message.body,
        )
      }

      const consumer = startConsumer(connection, {
        queue,
        prefetch,
        log,
        onReady: spec.onReady,
        // Runs again on every reconnect: a fresh broker node gets the whole topology back. The
        // retry and dead-letter queues come first, before any message can need them.
        async setup(channel) {
          if (durable) {
            await channel.queueDeclare({ queue: deadLetterQueue(queue), durable: true, arguments: QUORUM })
            await channel.queueDeclare({
              queue: retryQueue(queue),
              durable: true,
              arguments: { ...QUORUM, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
            })
          }
          await channel.queueDeclare({
            queue,
            ...(durable
              ? {
                  durable: true,
                  arguments: {
                    ...QUORUM,
                    'x-delivery-limit': DELIVERY_LIMIT,
                    'x-dead-letter-exchange': '',
                    'x-dead-letter-routing-key': deadLetterQueue(queue),
                  },
                }
              : { exclusive: true, autoDelete: true, durable: false }),
          })
          // The default exchange `''` routes by queue name and takes no bindings.
          const bound = spec.topics.filter((topic) => topic.exchange !== '')
          for (const exchange of new Set(bound.map((topic) => topic.exchange)))
            await channel.exchangeDeclare({ exchange, type: 'topic', durable: true })
          for (const { exchange, routingKey } of bound)
            await channel.queueBind({ exchange, queue, routingKey })
        },
        handle: (message) =>
          processor.process(
            {
              content: message.body,
              messageId: message.messageId ?? randomUUID(),
              attempt: attemptOf(message.headers?.[ATTEMPT_HEADER]),
              headers: message.headers ?? {},
            },
            {
              retry: (delayMs, nextAttempt) => retry(message, delayMs, nextAttempt),
              deadLetter: (reason) => deadLetter(message, reason),
            },
          ),
      })

      const subscription = {
        isReady: consumer.isReady,
        async close() {
          processor.stop()
          await consumer.close()
          subscriptions.delete(subscription)
        },
      }
      subscriptions.add(subscription)
      return subscription
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.close()))
      await publisher.close()
      await connection.close()
    },
  }
}

/** The attempt number a message carries; anything but a positive integer counts as the first. */
function attemptOf(header: unknown): number {
  const attempt = Number(header)
  return Number.isInteger(attempt) && attempt > 0 ? attempt : 1
}
