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

export interface ConsumerSpec<S extends TSchema> {
  /** Durable queue named `<service>.<purpose>`, or the name prefix of a temporary queue. */
  queue: string
  exchange: string
  routingKeys: string[]
  /** Every body is validated against this; an invalid body is dead-lettered, never handled. */
  schema: S
  /** Checks the schema cannot express; a returned reason dead-letters the message as invalid. */
  check?: (body: Static<S>) => string | undefined
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
  handler: (delivery: Delivery<Static<S>>) => Promise<void>
}

export interface Subscription {
  /** True while the queue is declared, bound and being consumed: for readiness checks. */
  isReady: () => boolean
  /** Stops taking messages and resolves once those in flight are settled. */
  close(): Promise<void>
}

export interface Broker {
  readonly kind: 'memory' | 'rabbitmq'
  /** Resolves once the broker has the message (publisher confirm). */
  publish(exchange: string, routingKey: string, body: unknown, options?: PublishOptions): Promise<void>
  consume<S extends TSchema>(spec: ConsumerSpec<S>): Subscription
  isReady: () => boolean
  close(): Promise<void>
}

/** Header carrying the attempt number of a retried message. */
export const ATTEMPT_HEADER = 'x-convoy-attempt'
/** Header saying why a message was dead-lettered. */
export const DEATH_REASON_HEADER = 'x-convoy-death-reason'

/**
 * Deliveries of a message that never settled (its consumer crashed or disconnected each time)
 * after which the broker itself dead-letters it: a message that kills its consumer cannot loop.
 */
export const DELIVERY_LIMIT = 20

export const deadLetterQueue = (queue: string) => `${queue}.dead`
export const retryQueue = (queue: string) => `${queue}.retry`
