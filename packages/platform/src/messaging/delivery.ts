import { setTimeout as sleep } from 'node:timers/promises'
import Type, { type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { context, SpanStatusCode, type Span } from '@opentelemetry/api'
import type { Logger } from '../log/index.ts'
import { secondsSince } from '../metrics/index.ts'
import { PUBLISHED_AT_HEADER, type Accepted, type Broker, type ConsumerSpec, type Topic } from './types.ts'
import type { MessagingMetrics } from './metrics.ts'
import { inConsumerSpan } from './tracing.ts'

const CHECK_EVERY_MS = 500

/** A message as both brokers hand it over, before its body is parsed. */
export interface RawDelivery {
  /** The body: bytes or text still to be parsed as JSON, or already parsed by the client library. */
  content: unknown
  messageId: string
  attempt: number
  headers: Record<string, unknown>
}

/**
 * What a broker does with a message it gave out, besides acking it once `process` resolves (and
 * returning it to the queue if `process` rejects, which only happens while stopping).
 */
export interface Settle {
  retry(delayMs: number, nextAttempt: number): Promise<void>
  deadLetter(reason: string): Promise<void>
}

export interface DeliveryProcessor {
  process(raw: RawDelivery, settle: Settle): Promise<void>
  stop(): void
}

/**
 * What a consumer of `topics` validates bodies against: each schema once, since topics of one
 * queue often accept the same bodies (media's three events share theirs).
 */
function acceptedSchema(topics: readonly Topic[]): TSchema {
  const schemas = [...new Set(topics.map((topic) => topic.accepts ?? topic.schema))]
  return schemas.length === 1 ? schemas[0]! : Type.Union(schemas)
}

/**
 * The consumer contract, written once for both brokers: parse and validate the body
 * (dead-letter if invalid), run the handler, ack on success, and on failure wait while the
 * handler's dependencies are down, else retry with exponential backoff up to `maxAttempts`,
 * then dead-letter. Every outcome is counted, and each message's age as it is taken (its
 * `PUBLISHED_AT_HEADER`), and every failure logged. Each message is processed
 * inside a CONSUMER span, the child of its publisher's (the `traceparent` its headers carry).
 */
export function deliveryProcessor<T extends Topic>(
  spec: ConsumerSpec<T>,
  log: Logger,
  metrics: MessagingMetrics,
  system: Broker['kind'],
): DeliveryProcessor {
  const validator = Compile(acceptedSchema(spec.topics))
  // The context the consumer was made in (its service's, in the embedded topology), not the one
  // the broker's callback runs in (the embedded broker's is its publisher's).
  const home = context.active()
  const maxAttempts = spec.maxAttempts ?? 5
  const baseDelay = spec.retryDelayMs ?? 1000
  const queue = spec.queue
  let stopping = false
  let holding = 0 // messages waiting here for the handler's dependencies to come back
  // Every held message asks, but at most one check runs at a time and its answer serves all of
  // them for a while: a database that is down is not asked a thousand times a second.
  let lastCheck: { at: number; answer: Promise<boolean> } | undefined
  const dependenciesReady = () => {
    if (!lastCheck || performance.now() - lastCheck.at > CHECK_EVERY_MS) {
      lastCheck = {
        at: performance.now(),
        answer: Promise.resolve()
          .then(spec.dependenciesReady)
          .catch(() => false),
      }
    }
    return lastCheck.answer
  }

  // Label lookups resolved once: these are counted for every message. Each outcome's series
  // exists at 0 from the start, so the first retry or dead letter is an increase a rate sees (an
  // alert on dead letters fires on the first one), not a series that appears already at 1.
  const outcomes = {
    ack: metrics.consumed.labels({ queue, outcome: 'ack' }),
    retry: metrics.consumed.labels({ queue, outcome: 'retry' }),
    dead: metrics.consumed.labels({ queue, outcome: 'dead' }),
  }
  for (const counter of Object.values(outcomes)) counter.inc(0)
  const handleSeconds = metrics.handleSeconds.labels({ queue })
  const lagSeconds = metrics.lagSeconds.labels({ queue })
  const outcome = (result: keyof typeof outcomes, span: Span) => {
    outcomes[result].inc()
    span.setAttribute('convoy.message.outcome', result)
  }

  async function deadLetter(raw: RawDelivery, settle: Settle, reason: string, span: Span) {
    log.warn({ queue, messageId: raw.messageId, attempt: raw.attempt, reason }, 'message dead-lettered')
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason })
    await settle.deadLetter(reason)
    outcome('dead', span)
  }

  return {
    stop() {
      stopping = true
    },
    process(raw, settle) {
      return context.with(home, () =>
        inConsumerSpan({ system, queue, ...raw }, (span) => processOne(raw, settle, span)),
      )
    },
  }

  async function processOne(raw: RawDelivery, settle: Settle, span: Span): Promise<void> {
    // How long it waited to be taken, by the publisher's clock (secondsSince: never below 0).
    // A message published without the header (by an older producer) is not counted.
    const publishedAt = Number(raw.headers[PUBLISHED_AT_HEADER])
    if (publishedAt > 0) lagSeconds.observe(secondsSince(publishedAt))
    let content = raw.content
    if (typeof content === 'string' || Buffer.isBuffer(content)) {
      try {
        content = JSON.parse(content.toString())
      } catch {
        return deadLetter(raw, settle, 'body is not JSON', span)
      }
    }
    if (!validator.Check(content)) {
      const [first] = validator.Errors(content)
      return deadLetter(
        raw,
        settle,
        `invalid body: ${first ? `${first.instancePath || '/'} ${first.message}` : 'schema mismatch'}`,
        span,
      )
    }
    // The validator is compiled from the schemas the topics accept: a valid body is theirs.
    const body = content as Accepted<T>
    const problem = spec.check?.(body)
    if (problem) return deadLetter(raw, settle, `invalid body: ${problem}`, span)
    for (;;) {
      try {
        const started = performance.now()
        await spec.handler({ body, messageId: raw.messageId, attempt: raw.attempt, headers: raw.headers })
        handleSeconds.observe((performance.now() - started) / 1000)
        return outcome('ack', span)
      } catch (error) {
        if (stopping) throw error
        span.recordException(error as Error)
        if (spec.dependenciesReady && !(await dependenciesReady())) {
          if (holding++ === 0) log.warn({ queue, err: error }, 'handler dependencies down, holding messages')
          while (!stopping && !(await dependenciesReady())) await sleep(CHECK_EVERY_MS)
          if (--holding === 0) log.info({ queue }, 'handler dependencies back, resuming')
          continue
        }
        if (spec.temporary || raw.attempt >= maxAttempts) {
          return deadLetter(
            raw,
            settle,
            `handler failed after ${raw.attempt} attempt(s): ${String(error)}`,
            span,
          )
        }
        const delay = Math.min(baseDelay * 2 ** (raw.attempt - 1), 30_000)
        log.warn(
          { queue, messageId: raw.messageId, attempt: raw.attempt, delayMs: delay, err: error },
          'handler failed, will retry',
        )
        span.setStatus({ code: SpanStatusCode.ERROR, message: `will retry: ${String(error)}` })
        await settle.retry(delay, raw.attempt + 1)
        return outcome('retry', span)
      }
    }
  }
}
