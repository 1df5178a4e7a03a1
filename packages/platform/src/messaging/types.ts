import type { Static, TSchema } from 'typebox'

export interface PublishOptions {
  /** Stable id of this message; consumers use it to stay idempotent. Generated when absent. */
  messageId?: string
  headers?: Record<string, string>
  /** Persist to disk (default true). Live, throw-away updates set false. */
  persistent?: boolean
}

export interface Delivery<T> {
  body: T
  messageId: string
  /** 1 on first delivery, then 2, 3... after each failed attempt. */
  attempt: number
  headers: Readonly<Record<string, unknown>>
}

/**
 * One kind of message: the exchange and routing key it is published with and the schema of its
 * body, defined once (an application's contracts hold its topics as plain objects of this shape)
 * so that `publish` and `consume` are typed by it and a wrong body does not compile. A message
 * whose body changed shape has a `schema` (the newest version, the one producers publish) and
 * `accepts` (every version still in flight, what consumers validate against): a producer cannot
 * publish an old version, and a consumer's handler is made to deal with all of them.
 *
 * A test that must publish what no producer may (a malformed body, to see it dead-lettered)
 * publishes an `untypedTopic(topic)`; one that publishes an older version, the topic with that
 * version's schema, `{ ...topic, schema: V1 }`, which is still checked.
 */
export interface Topic {
  readonly exchange: string
  /** Published with this key; a consumer binds its queue with it (a pattern, `#`, for a test). */
  readonly routingKey: string
  /** The body a producer publishes. */
  readonly schema: TSchema
  /** The bodies a consumer accepts, when more than `schema` (older versions). */
  readonly accepts?: TSchema
}

/** The body `publish` takes for topic `T`. */
export type Published<T extends Topic> = Static<T['schema']>

/** The bodies a consumer of topic `T` is handed: those of `accepts`, else those of `schema`. */
export type Accepted<T extends Topic> = T extends { accepts: infer A extends TSchema }
  ? Static<A>
  : Static<T['schema']>

export interface ConsumerSpec<T extends Topic> {
  /** Durable queue named `<service>.<purpose>`, or the name prefix of a temporary queue. */
  queue: string
  /**
   * The queue is bound to each topic's exchange with its routing key, and takes the bodies any
   * of them accepts: an invalid body is dead-lettered, never handled. A delivery does not say
   * which topic it came by (RabbitMQ's retry queue routes a retried message again under the
   * queue's name): topics sharing a queue have bodies a handler can tell apart.
   */
  topics: readonly T[]
  /** Checks the schema cannot express; a returned reason dead-letters the message as invalid. */
  check?: (body: Accepted<T>) => string | undefined
  /** Most messages handled at once. Default 32. */
  prefetch?: number
  /** Attempts before a failing message is dead-lettered. Default 5. */
  maxAttempts?: number
  /** Delay before the first retry, doubled for each further one (max 30 s). Default 1000. */
  retryDelayMs?: number
  /**
   * A private queue for this process alone (exclusive, deleted when it disconnects), for
   * broadcast: every process with such a queue receives every message. Failures are dropped.
   */
  temporary?: boolean
  /**
   * The handler's own dependencies. While this answers false a failing message waits here,
   * unacknowledged, instead of using up its attempts: a database restart dead-letters nothing.
   */
  dependenciesReady?: () => boolean | Promise<boolean>
  /**
   * Called each time the consumer starts taking messages: once bound, and again after every
   * reconnect. Whatever was published while it was not bound never reaches a temporary queue:
   * this is when to read the state those messages would have changed.
   */
  onReady?: () => void
  handler: (delivery: Delivery<Accepted<T>>) => Promise<void>
}

export interface Subscription {
  /** True while the queue is declared, bound and being consumed: for readiness checks. */
  isReady: () => boolean
  /** Stops taking messages and resolves once those in flight are settled. */
  close(): Promise<void>
}

export interface Broker {
  readonly kind: 'embedded' | 'rabbitmq'
  /** Resolves once the broker has the message (publisher confirm). */
  publish<T extends Topic>(topic: T, body: Published<T>, options?: PublishOptions): Promise<void>
  consume<T extends Topic>(spec: ConsumerSpec<T>): Subscription
  isReady: () => boolean
  close(): Promise<void>
}

/** Header carrying the attempt number of a retried message. */
export const ATTEMPT_HEADER = 'x-convoy-attempt'
/**
 * Header carrying when a message was first published, in milliseconds since the epoch (as text):
 * retries and dead letters keep it, so a consumer knows how old what it takes is.
 */
export const PUBLISHED_AT_HEADER = 'x-convoy-published-at'
/** Header saying why a message was dead-lettered. */
export const DEATH_REASON_HEADER = 'x-convoy-death-reason'

/**
 * Deliveries of a message that never settled (its consumer crashed or disconnected each time)
 * after which the broker itself dead-letters it: a message that kills its consumer cannot loop.
 */
export const DELIVERY_LIMIT = 20

export const deadLetterQueue = (queue: string) => `${queue}.dead`
export const retryQueue = (queue: string) => `${queue}.retry`
