import { Counter, Histogram, Registry } from 'prom-client'

export interface MessagingMetrics {
  published: Counter<'exchange'>
  consumed: Counter<'queue' | 'outcome'>
  handleSeconds: Histogram<'queue'>
  lagSeconds: Histogram<'queue'>
}

export function messagingMetrics(registry: Registry = new Registry()): MessagingMetrics {
  return {
    published: new Counter({
      name: 'messages_published_total',
      help: 'Messages published and confirmed by the broker',
      labelNames: ['exchange'],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'messages_consumed_total',
      help: 'Messages consumed, by outcome: ack, retry or dead (dead-lettered)',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: 'message_handle_duration_seconds',
      help: 'Time a handler took to process one message',
      labelNames: ['queue'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    // From a millisecond on a queue kept up with to the hours of a backlog or a consumer down.
    lagSeconds: new Histogram({
      name: 'message_consumer_lag_seconds',
      help: 'Age of a message when its consumer takes it: now minus when it was first published (retries included)',
      labelNames: ['queue'],
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
      registers: [registry],
    }),
  }
}
