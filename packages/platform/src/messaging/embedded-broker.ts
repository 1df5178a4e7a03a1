import { randomUUID } from 'node:crypto'
import type { Logger } from '../log/index.ts'
import { deliveryProcessor, type RawDelivery } from './delivery.ts'
import { openJournal, type Journal, type JournalState } from './embedded-journal.ts'
import type { MessagingMetrics } from './metrics.ts'
import { withTraceContext } from './tracing.ts'
import {
  DEATH_REASON_HEADER,
  deadLetterQueue,
  DELIVERY_LIMIT,
  PUBLISHED_AT_HEADER,
  type Broker,
  type ConsumerSpec,
  type PublishOptions,
  type Topic,
} from './types.ts'

/**
 * A message in a queue; `seq` is its row in the journal when it is kept there, `deliveries` the
 * times it was handed out without being settled.
 */
type Message = RawDelivery & { content: string; seq?: number; deliveries?: number }

interface Queue {
  name: string
  /** Declared by a durable consumer: kept in the journal with its bindings and persistent messages. */
  durable: boolean
  messages: Message[]
  consumers: Set<QueueConsumer>
}

interface QueueConsumer {
  prefetch: number
  /** Messages handed out and not settled yet; `dispatch` counts one in as it hands it out. */
  inFlight: number
  run(message: Message): void
}

/** The message alone, without its place in the journal: what is stored again elsewhere. */
const body = ({ content, messageId, attempt, headers }: Message) => ({ content, messageId, attempt, headers })

/**
 * The state of one embedded broker. Every connection to the same `embedded://name` URL in a
 * process shares it, as every client of one RabbitMQ server shares that server. With a journal,
 * what RabbitMQ keeps across a restart is kept on disk too, and read back when it opens.
 */
class EmbeddedCore {
  readonly queues = new Map<string, Queue>()
  readonly bindings = new Map<string, Array<{ pattern: string[]; queue: string }>>()
  /** Publishers waiting for a consumed queue to drain below the limit. */
  readonly waiting = new Set<() => void>()
  /** Retries waiting out their backoff. */
  readonly timers = new Set<NodeJS.Timeout>()
  /** Broker handles open on this core; the core goes when the last one closes. */
  clients = 0
  readonly journal: Journal | undefined

  constructor(journal?: Journal) {
    this.journal = journal
    if (journal) this.replay(journal.state)
  }

  /**
   * Brings back what the journal kept: durable queues and their bindings, and every message not
   * acked (with its count of deliveries), a retry with what is left of its backoff.
   */
  private replay(state: JournalState) {
    for (const name of state.queues) this.declareQueue(name, true)
    for (const { exchange, routingKey, queue } of state.bindings) this.bind(exchange, routingKey, queue)
    const now = Date.now()
    for (const { queue: name, dueAt, ...message } of state.messages) {
      const queue = this.declareQueue(name, true)
      if (dueAt !== null && dueAt > now) this.later(queue, message, dueAt - now)
      else queue.messages.push(message)
    }
  }

  declareQueue(name: string, durable: boolean): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      this.queues.set(name, (queue = { name, durable, messages: [], consumers: new Set() }))
      if (durable) this.journal?.declare(name)
    }
    return queue
  }

  bind(exchange: string, routingKey: string, queue: string) {
    const list = this.bindings.get(exchange) ?? []
    if (!list.some((b) => b.queue === queue && b.pattern.join('.') === routingKey)) {
      list.push({ pattern: routingKey.split('.'), queue })
      if (this.queues.get(queue)?.durable) this.journal?.bind(exchange, routingKey, queue)
    }
    this.bindings.set(exchange, list)
  }

  /** Routes like a topic exchange; the default exchange `''` routes to the queue named by the key. */
  /** Returns whether a queue with consumers has passed its limit: the publisher should wait. */
  route(exchange: string, routingKey: string, message: Message, persistent: boolean): boolean {
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
      this.enqueue(queue, persistent ? this.store(queue, message) : { ...message })
      full ||= queue.consumers.size > 0 && queue.messages.length > MAX_READY
    }
    return full
  }

  /** Keeps a copy of `message` in the journal if `queue` is durable (and there is a journal). */
  store(queue: Queue, message: Message, dueAt?: number): Message {
    const copy: Message = body(message)
    if (queue.durable && this.journal) copy.seq = this.journal.put(queue.name, copy, dueAt)
    return copy
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

  enqueue(queue: Queue, message: Message) {
    queue.messages.push(message)
    this.dispatch(queue)
  }

  /** Puts `message` in `queue` once `delayMs` have passed (it is in the journal meanwhile). */
  later(queue: Queue, message: Message, delayMs: number) {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.enqueue(queue, message)
    }, delayMs)
    this.timers.add(timer)
  }

  /** A failed message comes back to `queue` as attempt `attempt` after `delayMs`. */
  retry(queue: Queue, message: Message, delayMs: number, attempt: number) {
    this.later(queue, this.store(queue, { ...body(message), attempt }, Date.now() + delayMs), delayMs)
  }

  deadLetter(name: string, message: Message, reason: string) {
    const dead = this.declareQueue(deadLetterQueue(name), true)
    const headers = { ...message.headers, [DEATH_REASON_HEADER]: reason.slice(0, 1000) }
    this.enqueue(dead, this.store(dead, { ...message, headers }))
    this.settled(message)
  }

  /** Acked (or moved elsewhere): the journal forgets it. */
  settled(message: Message) {
    if (message.seq !== undefined) this.journal?.remove(message.seq)
  }

  dispatch(queue: Queue) {
    for (const consumer of queue.consumers) {
      while (consumer.inFlight < consumer.prefetch && queue.messages.length > 0) {
        const message = queue.messages.shift()!
        const deliveries = (message.deliveries ?? 0) + 1
        // Handed out that often and never settled (it crashed its consumer each time): dead, as
        // RabbitMQ's delivery limit has it, instead of a crash loop.
        if (deliveries > DELIVERY_LIMIT && queue.durable) {
          this.deadLetter(
            queue.name,
            message,
            `delivered ${deliveries - 1} times without an ack (delivery limit)`,
          )
          continue
        }
        message.deliveries = deliveries
        consumer.inFlight++
        if (message.seq === undefined || !this.journal) consumer.run(message)
        else {
          // Counted on disk before the consumer sees it, as RabbitMQ counts it: a message that
          // crashes its process every time reaches the delivery limit.
          this.journal.delivered(message.seq)
          void this.journal.written().then(
            () => consumer.run(message),
            () => consumer.run(message),
          )
        }
      }
    }
    if (this.waiting.size > 0) this.release()
  }

  close() {
    for (const timer of this.timers) clearTimeout(timer)
    this.journal?.close()
    this.release()
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

const cores = new Map<string, EmbeddedCore>()

/** Takes every message waiting in a queue of an embedded broker (tests inspect dead letters so). */
export function drainEmbeddedQueue(url: string, queue: string): Array<RawDelivery & { content: string }> {
  const core = cores.get(url)
  const messages = core?.queues.get(queue)?.messages.splice(0) ?? []
  for (const message of messages) core?.settled(message)
  return messages.map(body)
}

/**
 * The embedded broker: same contract as the RabbitMQ one (topic routing, prefetch, manual ack,
 * retry with backoff, dead-lettering, temporary broadcast queues, the delivery limit), in this
 * process. `embedded://name` keeps everything in memory: what is not consumed is lost if the
 * process dies. `embedded://name?journal=/dir` also keeps what RabbitMQ keeps on disk, in a journal
 * in that folder: durable queues, their bindings and their persistent messages survive a crash;
 * a message delivered but not acked is delivered again; a retry keeps its attempt and its delay;
 * dead letters stay; `publish` resolves once its message is written (the publisher confirm).
 */
export function embeddedBroker(url: string, log: Logger, metrics: MessagingMetrics): Broker {
  let core = cores.get(url)
  if (!core) {
    const journal = new URL(url).searchParams.get('journal')
    cores.set(url, (core = new EmbeddedCore(journal ? openJournal(journal, log) : undefined)))
  }
  const shared = core
  shared.clients++
  const subscriptions = new Set<{ close(): Promise<void> }>()

  return {
    kind: 'embedded',
    isReady: () => true,
    async publish({ exchange, routingKey }, body, options: PublishOptions = {}) {
      const persistent = options.persistent ?? true
      const full = shared.route(
        exchange,
        routingKey,
        {
          content: JSON.stringify(body),
          messageId: options.messageId ?? randomUUID(),
          attempt: 1,
          headers: { ...withTraceContext(options.headers), [PUBLISHED_AT_HEADER]: String(Date.now()) },
        },
        persistent,
      )
      if (persistent) await shared.journal?.written()
      if (full) await shared.drained()
      metrics.published.inc({ exchange })
    },
    consume<T extends Topic>(spec: ConsumerSpec<T>) {
      const name = spec.temporary ? `${spec.queue}.${randomUUID()}` : spec.queue
      const queue = shared.declareQueue(name, !spec.temporary)
      if (!spec.temporary) shared.declareQueue(deadLetterQueue(name), true)
      for (const { exchange, routingKey } of spec.topics) shared.bind(exchange, routingKey, name)

      const processor = deliveryProcessor({ ...spec, queue: name }, log, metrics, 'embedded')
      const pending = new Set<Promise<void>>()
      let closed = false
      const consumer: QueueConsumer = {
        prefetch: spec.prefetch ?? 32,
        inFlight: 0,
        run(message) {
          // Closed while its delivery was being written: it goes back, never handled.
          if (closed) {
            consumer.inFlight--
            queue.messages.unshift(message)
            return shared.dispatch(queue)
          }
          const work = processor
            .process(message, {
              async retry(delayMs, nextAttempt) {
                shared.retry(queue, message, delayMs, nextAttempt)
                await shared.journal?.written()
              },
              async deadLetter(reason) {
                if (spec.temporary) return
                shared.deadLetter(name, message, reason)
                await shared.journal?.written()
              },
            })
            .then(
              () => shared.settled(message),
              // Stopped mid-handler: the message goes back to the queue, as an unacked one would.
              () => void queue.messages.unshift(message),
            )
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

      const subscription = {
        isReady: () => !closed,
        async close() {
          closed = true
          queue.consumers.delete(consumer)
          shared.release()
          processor.stop()
          await Promise.allSettled([...pending])
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
        shared.close()
      }
    },
  }
}
