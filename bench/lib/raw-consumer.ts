/**
 * Child process of the ingestion benchmark: RabbitMQ alone. Consumes a durable quorum queue
 * bound like the tracker's (same exchange and routing key) with manual acks and the same
 * prefetch and concurrency, doing nothing with the messages but counting them.
 * Started with fork(); answers `count` messages with `{ count }`, exits on `stop`.
 */
import { Connection } from 'rabbitmq-client'

const { url, queue, exchange, routingKey, prefetch } = JSON.parse(process.argv[2]!) as {
  url: string
  queue: string
  exchange: string
  routingKey: string
  prefetch: number
}

const connection = new Connection({ url, connectionName: 'bench-raw-consumer' })
let count = 0
const consumer = connection.createConsumer(
  {
    queue,
    queueOptions: { durable: true, arguments: { 'x-queue-type': 'quorum' } },
    qos: { prefetchCount: prefetch },
    concurrency: prefetch,
    exchanges: [{ exchange, type: 'topic', durable: true }],
    queueBindings: [{ exchange, queue, routingKey }],
  },
  async () => {
    count++
  },
)
consumer.on('ready', () => process.send!({ ready: true }))
consumer.on('error', (error) => console.error('raw consumer:', error))

process.on('message', (message) => {
  if (message === 'count') process.send!({ count })
  if (message === 'stop') {
    void consumer
      .close()
      .then(() => connection.close())
      .finally(() => process.exit(0))
  }
})
process.on('disconnect', () => process.exit(0))
