import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api'

/**
 * The platform's tracer, from the global provider: without an SDK registered (tracing off) it
 * makes no-op spans and injects nothing, so messaging behaves and costs as before.
 */
const tracer = trace.getTracer('@convoy/platform')

/**
 * `headers` with the active trace context added: W3C `traceparent` (and `tracestate` when there
 * is one), by the globally registered propagator. Outside any span, or with tracing off, nothing
 * is added. The caller's headers are not changed.
 */
export function withTraceContext(headers?: Readonly<Record<string, string>>): Record<string, string> {
  const carrier: Record<string, string> = { ...headers }
  propagation.inject(context.active(), carrier)
  return carrier
}

/**
 * Runs `work` (publishing a message) inside a PRODUCER span, `send <exchange>`, the child of the
 * active span if there is one: for a message no request or message caused (a timer's, such as
 * the simulator's reports), it is the root of the message's trace, which its consumers continue.
 */
export function inProducerSpan<R>(
  options: { system: string; exchange: string; routingKey: string },
  work: () => Promise<R>,
): Promise<R> {
  return tracer.startActiveSpan(
    `send ${options.exchange}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': options.system,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': options.exchange,
        'messaging.rabbitmq.destination.routing_key': options.routingKey,
      },
    },
    (span) => endingWith(span, work),
  )
}

/**
 * Runs `work` inside a CONSUMER span for one message of `queue`, a child of the span that
 * published it (the trace context its headers carry) or, for a message without one, the root of
 * a new trace. Never a child of whatever context the broker's callback happens to run in (the
 * embedded broker hands a message over inside its publisher's call).
 */
export function inConsumerSpan<R>(
  options: {
    system: string
    queue: string
    messageId: string
    attempt: number
    headers: Readonly<Record<string, unknown>>
  },
  work: (span: Span) => Promise<R>,
): Promise<R> {
  const parent = propagation.extract(ROOT_CONTEXT, options.headers)
  return tracer.startActiveSpan(
    `process ${options.queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': options.system,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': options.queue,
        'messaging.message.id': options.messageId,
        'convoy.message.attempt': options.attempt,
      },
    },
    parent,
    (span) => endingWith(span, () => work(span)),
  )
}

/**
 * Runs `work` (one flush of a batch gathered from many messages) inside a span of its own, the
 * root of a new trace, LINKED to the context each item was added in: one write serves many
 * traces, and is the child of none of them.
 */
export function inBatchSpan<R>(
  name: string,
  contexts: readonly Context[],
  work: () => Promise<R>,
): Promise<R> {
  const links: Link[] = []
  for (const item of contexts) {
    const spanContext = trace.getSpanContext(item)
    if (spanContext && trace.isSpanContextValid(spanContext)) links.push({ context: spanContext })
  }
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, links, attributes: { 'messaging.batch.message_count': contexts.length } },
    ROOT_CONTEXT,
    (span) => endingWith(span, work),
  )
}

/** Runs `work`, then ends `span`: with the error recorded on it, if `work` failed. */
async function endingWith<R>(span: Span, work: () => Promise<R>): Promise<R> {
  try {
    return await work()
  } catch (error) {
    span.recordException(error as Error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
    throw error
  } finally {
    span.end()
  }
}
