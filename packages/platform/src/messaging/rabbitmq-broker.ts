import { randomUUID } from 'node:crypto'
import { Connection, ConsumerStatus, type AsyncMessage, type Publisher } from 'rabbitmq-client'
import type { TSchema } from 'typebox'
import type { Logger } from '../log/index.ts'
import { deliveryProcessor } from './delivery.ts'
import type { MessagingMetrics } from './metrics.ts'
import {
  ATTEMPT_HEADER,
  DEATH_REASON_HEADER,
  deadLetterQueue,
  retryQueue,
  type Broker,
  type ConsumerSpec,
  type PublishOptions,
} from './types.ts'

const QUORUM = { 'x-queue-type': 'quorum' } as const
/** Redeliveries (consumer crashed or disconnected mid-message) before RabbitMQ itself dead-letters. */
const DELIVERY_LIMIT = 20

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
    async publish(exchange, routingKey, body, options: PublishOptions = {}) {
      await declareExchange(exchange)
      await publisher.send(
        {
          exchange,
          routingKey,
          messageId: options.messageId ?? randomUUID(),
          durable: options.persistent ?? true,
          headers: options.headers,
        },
        // An object body is sent as JSON with content type application/json.
        body,
      )
      metrics.published.inc({ exchange })
    },

    consume<S extends TSchema>(spec: ConsumerSpec<S>) {
      const prefetch = spec.prefetch ?? 32
      const durable = !spec.temporary
      const queue = spec.temporary ? `${spec.queue}.${randomUUID()}` : spec.queue
      const processor = deliveryProcessor({ ...spec, queue }, log, metrics)

      const declareSideQueues = async () => {
        if (!durable) return
        await connection.queueDeclare({ queue: deadLetterQueue(queue), durable: true, arguments: QUORUM })
        await connection.queueDeclare({
          queue: retryQueue(queue),
          durable: true,
          arguments: { ...QUORUM, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
        })
      }

      const consumer = connection.createConsumer(
        {
          queue,
          lazy: true,
          queueOptions: durable
            ? {
                durable: true,
                arguments: {
                  ...QUORUM,
                  'x-delivery-limit': DELIVERY_LIMIT,
                  'x-dead-letter-exchange': '',
                  'x-dead-letter-routing-key': deadLetterQueue(queue),
                },
              }
            : { exclusive: true, autoDelete: true, durable: false },
          qos: { prefetchCount: prefetch },
          concurrency: prefetch,
          exchanges: spec.exchange ? [{ exchange: spec.exchange, type: 'topic', durable: true }] : [],
          queueBindings: spec.routingKeys.map((routingKey) => ({
            exchange: spec.exchange,
            queue,
            routingKey,
          })),
        },
        async (message: AsyncMessage) => {
          await processor.process(
            {
              content: message.body,
              messageId: message.messageId ?? randomUUID(),
              attempt: attemptOf(message.headers?.[ATTEMPT_HEADER]),
              headers: message.headers ?? {},
            },
            {
              ack: () => {},
              retry: (delayMs, nextAttempt) =>
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
                ),
              deadLetter: async (reason) => {
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
              },
            },
          )
          return ConsumerStatus.ACK
        },
      )
      let consuming = false
      consumer.on('ready', () => (consuming = true))
      consumer.on('error', (error) => {
        consuming = false
        log.warn({ err: error, queue }, 'consumer error')
      })
      const connectionLost = () => (consuming = false)
      connection.on('error', connectionLost)

      let closed = false
      // Declare the retry and dead-letter queues before the first message can need them.
      void (async () => {
        for (let attempt = 1; !closed; attempt++) {
          try {
            await declareSideQueues()
            consumer.start()
            return
          } catch (error) {
            log.warn({ err: error, queue, attempt }, 'declaring queues failed, retrying')
            await new Promise((resolve) => setTimeout(resolve, Math.min(200 * attempt, 5000)))
          }
        }
      })()

      const subscription = {
        isReady: () => consuming && connection.ready,
        async close() {
          closed = true
          consuming = false
          connection.off('error', connectionLost)
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
