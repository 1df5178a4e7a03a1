import { randomUUID } from 'node:crypto'
import type { TSchema } from 'typebox'
import type { Logger } from '../log/index.ts'
import { deliveryProcessor, type RawDelivery } from './delivery.ts'
import type { MessagingMetrics } from './metrics.ts'
import {
  DEATH_REASON_HEADER,
  deadLetterQueue,
  type Broker,
  type ConsumerSpec,
  type PublishOptions,
} from './types.ts'

interface Queue {
  messages: RawDelivery[]
  consumers: Set<QueueConsumer>
}

interface QueueConsumer {
  prefetch: number
  inFlight: number
  run(message: RawDelivery): void
}

/**
 * The state of one in-process broker. Every connection to the same `memory://name` URL in a
 * process shares it, as every client of one RabbitMQ server shares that server.
 */
class MemoryCore {
  readonly queues = new Map<string, Queue>()
  readonly bindings = new Map<string, Array<{ pattern: string[]; queue: string }>>()
  /** Publishers waiting for a consumed queue to drain below the limit. */
  readonly waiting = new Set<() => void>()
  /** Broker handles open on this core; the core goes when the last one closes. */
  clients = 0

  declareQueue(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) this.queues.set(name, (queue = { messages: [], consumers: new Set() }))
    return queue
  }

  bind(exchange: string, routingKey: string, queue: string) {
    const list = this.bindings.get(exchange) ?? []
    if (!list.some((b) => b.queue === queue && b.pattern.join('.') === routingKey)) {
      list.push({ pattern: routingKey.split('.'), queue })
    }
    this.bindings.set(exchange, list)
  }

  /** Routes like a topic exchange; the default exchange `''` routes to the queue named by the key. */
  /** Returns whether a queue with consumers has passed its limit: the publisher should wait. */
  route(exchange: string, routingKey: string, message: RawDelivery): boolean {
    const targets =
      exchange === ''
        ? [routingKey]
        : (this.bindings.get(exchange) ?? [])
            .filter((b) => topicMatches(b.pattern, routingKey.split('.')))
            .map((b) => b.queue)
    let full = false
    for (const name of new Set(targets)) {
      const queue = this.queues.get(name)
      if (!queue) continue
      queue.messages.push({ ...message })
      this.dispatch(queue)
      full ||= queue.consumers.size > 0 && queue.messages.length > MAX_READY
    }
    return full
  }

  /** Resolves once no consumed queue is over its limit (or at once, if none is). */
  drained(): Promise<void> {
    return new Promise((resolve) => this.waiting.add(resolve))
  }

  release() {
    const over = [...this.queues.values()].some(
      (q) => q.consumers.size > 0 && q.messages.length > MAX_READY / 2,
    )
    if (over) return
    for (const resolve of this.waiting) resolve()
    this.waiting.clear()
  }

  enqueue(name: string, message: RawDelivery) {
    const queue = this.declareQueue(name)
    queue.messages.push(message)
    this.dispatch(queue)
  }

  dispatch(queue: Queue) {
    for (const consumer of queue.consumers) {
      while (consumer.inFlight < consumer.prefetch && queue.messages.length > 0) {
        consumer.run(queue.messages.shift()!)
      }
    }
    if (this.waiting.size > 0) this.release()
  }
}

function topicMatches(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) return words.length === 0
  const [head, ...rest] = pattern
  if (head === '#') return words.some((_, i) => topicMatches(rest, words.slice(i))) || topicMatches(rest, [])
  if (words.length === 0) return false
  return (head === '*' || head === words[0]) && topicMatches(rest, words.slice(1))
}

/**
 * Ready messages a consumed queue may hold before publishers are made to wait, as RabbitMQ's flow
 * control makes them wait: a slow consumer slows its publishers instead of growing memory.
 */
const MAX_READY = 10_000

const cores = new Map<string, MemoryCore>()

/** Takes every message waiting in a queue of an in-process broker (tests inspect dead letters so). */
export function drainMemoryQueue(url: string, queue: string): Array<RawDelivery & { content: string }> {
  const messages = cores.get(url)?.queues.get(queue)?.messages ?? []
  return messages.splice(0, messages.length) as Array<RawDelivery & { content: string }>
}

/**
 * The embedded broker: same contract as the RabbitMQ one (topic routing, prefetch, manual ack,
 * retry with backoff, dead-lettering, temporary broadcast queues), held in this process's memory.
 * Messages not yet consumed are lost if the process dies; the graceful shutdown drains them.
 */
export function memoryBroker(url: string, log: Logger, metrics: MessagingMetrics): Broker {
  let core = cores.get(url)
  if (!core) cores.set(url, (core = new MemoryCore()))
  const shared = core
  shared.clients++
  const subscriptions = new Set<{ close(): Promise<void> }>()

  return {
    kind: 'memory',
    isReady: () => true,
    async publish(exchange, routingKey, body, options: PublishOptions = {}) {
      const full = shared.route(exchange, routingKey, {
        content: JSON.stringify(body),
        messageId: options.messageId ?? randomUUID(),
        attempt: 1,
        headers: { ...options.headers },
      })
      if (full) await shared.drained()
      metrics.published.inc({ exchange })
    },
    consume<S extends TSchema>(spec: ConsumerSpec<S>) {
      const name = spec.temporary ? `${spec.queue}.${randomUUID()}` : spec.queue
      const queue = shared.declareQueue(name)
      if (!spec.temporary) shared.declareQueue(deadLetterQueue(name))
      for (const key of spec.routingKeys) shared.bind(spec.exchange, key, name)

      const processor = deliveryProcessor({ ...spec, queue: name }, log, metrics)
      const timers = new Map<NodeJS.Timeout, RawDelivery>() // retries waiting out their backoff
      const pending = new Set<Promise<void>>()
      const consumer: QueueConsumer = {
        prefetch: spec.prefetch ?? 32,
        inFlight: 0,
        run(message) {
          consumer.inFlight++
          const work = processor
            .process(message, {
              async retry(delayMs, nextAttempt) {
                const retried = { ...message, attempt: nextAttempt }
                const timer = setTimeout(() => {
                  timers.delete(timer)
                  shared.enqueue(name, retried)
                }, delayMs)
                timers.set(timer, retried)
              },
              async deadLetter(reason) {
                if (spec.temporary) return
                shared.enqueue(deadLetterQueue(name), {
                  ...message,
                  headers: { ...message.headers, [DEATH_REASON_HEADER]: reason },
                })
              },
            })
            // Stopped mid-handler: the message goes back to the queue, as an unacked one would.
            .catch(() => void queue.messages.unshift(message))
            .finally(() => {
              consumer.inFlight--
              pending.delete(work)
              shared.dispatch(queue)
            })
          pending.add(work)
        },
      }
      queue.consumers.add(consumer)
      queueMicrotask(() => {
        shared.dispatch(queue)
        spec.onReady?.()
      })

      let closed = false
      const subscription = {
        isReady: () => !closed,
        async close() {
          closed = true
          queue.consumers.delete(consumer)
          shared.release()
          processor.stop()
          await Promise.allSettled([...pending])
          // A retry still waiting is put back now, so the next consumer of the queue gets it.
          for (const [timer, retried] of timers) {
            clearTimeout(timer)
            if (!spec.temporary) queue.messages.push(retried)
          }
          if (spec.temporary) {
            shared.queues.delete(name)
            for (const list of shared.bindings.values()) {
              for (let i = list.length - 1; i >= 0; i--) if (list[i]!.queue === name) list.splice(i, 1)
            }
          }
          subscriptions.delete(subscription)
        },
      }
      subscriptions.add(subscription)
      return subscription
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.close()))
      if (--shared.clients === 0) {
        cores.delete(url)
        shared.release()
      }
    },
  }
}
