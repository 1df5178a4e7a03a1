import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import Type from 'typebox'
import { drainQueue, eventually, testLogger, uniqueName } from '../testing/index.ts'
import { registerTestTracing } from '../testing/tracing.ts'
import { connectBroker, deadLetterQueue, type Broker, type Delivery } from './index.ts'

const Ping = Type.Object({ n: Type.Integer() })
const ping = (routingKey: string) => ({ exchange: 'tracing', routingKey, schema: Ping })

/** A remote caller's context, as an HTTP request would bring it, with a `tracestate` to carry. */
const REMOTE: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
  isRemote: true,
  traceState: new TraceState('convoy=test'),
}

/**
 * The trace contract of the platform's messaging, for one kind of broker: a message published
 * inside a span is handled inside a CONSUMER span that is its child, in the same trace, and keeps
 * that parent through retries and into its dead letter; a message without trace context is
 * handled all the same, in a span of a trace of its own. The SDK is registered for these tests
 * alone.
 */
export function traceContextCases(target: {
  kind: string
  create(): Promise<{ url: string; drop(): Promise<void> }>
}) {
  describe(`trace context across the broker: ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let broker: Broker
    let tracing: ReturnType<typeof registerTestTracing>
    const tracer = trace.getTracer('test')

    before(async () => {
      tracing = registerTestTracing()
      tracing.reset()
      env = await target.create()
      broker = connectBroker({ url: env.url, log: testLogger() })
    })
    after(async () => {
      await broker.close()
      await env.drop()
    })

    /** Publishes `n: -1` (outside any span) until the consumer has one: its queue is bound. */
    async function bind(queue: string, seen: () => boolean) {
      await eventually(async () => {
        await broker.publish(ping(queue), { n: -1 })
        return seen()
      }, 'consumer bound')
    }

    /** Publishes `body` inside a span of its own, a child of {@link REMOTE}; returns that span's context. */
    async function publishInSpan(queue: string, body: { n: number }, messageId: string) {
      const remote = trace.setSpanContext(ROOT_CONTEXT, REMOTE)
      return tracer.startActiveSpan('publisher', {}, remote, async (span) => {
        await broker.publish(ping(queue), body, { messageId })
        span.end()
        return span.spanContext()
      })
    }

    const consumerSpans = (messageId: string) =>
      tracing.spans().filter((span) => span.attributes['messaging.message.id'] === messageId)

    async function spansOf(messageId: string, count: number): Promise<ReadableSpan[]> {
      return eventually(() => {
        const spans = consumerSpans(messageId)
        return spans.length >= count ? spans : null
      }, `${count} consumer span(s) of ${messageId}`)
    }

    test('a message published inside a span is handled inside a CONSUMER span, its child, in the same trace', async () => {
      const queue = uniqueName('test.trace')
      const handled: Array<{ delivery: Delivery<{ n: number }>; active?: SpanContext }> = []
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        handler: async (delivery) =>
          void handled.push({ delivery, active: trace.getActiveSpan()?.spanContext() }),
      })
      await bind(queue, () => handled.length > 0)
      const publisher = await publishInSpan(queue, { n: 1 }, 'traced-1')
      const [consumer] = await spansOf('traced-1', 1)
      assert.equal(consumer!.kind, SpanKind.CONSUMER)
      assert.equal(consumer!.name, `process ${queue}`)
      assert.equal(consumer!.spanContext().traceId, REMOTE.traceId)
      assert.equal(consumer!.parentSpanContext?.spanId, publisher.spanId)
      assert.equal(consumer!.spanContext().traceState?.serialize(), 'convoy=test', 'tracestate carried')
      assert.equal(consumer!.attributes['messaging.destination.name'], queue)
      assert.equal(consumer!.attributes['convoy.message.outcome'], 'ack')
      const mine = handled.find((h) => h.delivery.messageId === 'traced-1')!
      assert.match(
        String(mine.delivery.headers.traceparent),
        new RegExp(`^00-${REMOTE.traceId}-${publisher.spanId}-01$`),
      )
      assert.equal(mine.delivery.headers.tracestate, 'convoy=test')
      assert.equal(mine.active?.spanId, consumer!.spanContext().spanId, 'the handler runs inside it')
      await sub.close()
    })

    test('a message published outside any span carries no trace context and is handled in a new root span', async () => {
      const queue = uniqueName('test.untraced')
      const handled: Delivery<{ n: number }>[] = []
      const sub = broker.consume({ queue, topics: [ping(queue)], handler: async (d) => void handled.push(d) })
      await bind(queue, () => handled.length > 0)
      // Inside the publisher's call, as the embedded broker hands it over: still not its child.
      await context.with(ROOT_CONTEXT, () =>
        broker.publish(ping(queue), { n: 2 }, { messageId: 'untraced-1' }),
      )
      const [consumer] = await spansOf('untraced-1', 1)
      assert.equal(consumer!.parentSpanContext, undefined)
      assert.notEqual(consumer!.spanContext().traceId, REMOTE.traceId)
      const delivery = handled.find((d) => d.messageId === 'untraced-1')!
      assert.equal(delivery.headers.traceparent, undefined)
      assert.equal(delivery.body.n, 2)
      await sub.close()
    })

    test('every attempt of a retried message is a child of its publisher, and its dead letter keeps the traceparent', async () => {
      const queue = uniqueName('test.trace-retry')
      let bound = false
      const traceparents: unknown[] = []
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        maxAttempts: 3,
        retryDelayMs: 10,
        handler: async (d) => {
          if (d.body.n === -1) return void (bound = true)
          traceparents.push(d.headers.traceparent)
          throw new Error('always fails')
        },
      })
      await bind(queue, () => bound)
      const publisher = await publishInSpan(queue, { n: 3 }, 'poison-1')
      const attempts = await spansOf('poison-1', 3)
      for (const span of attempts) {
        assert.equal(span.spanContext().traceId, REMOTE.traceId)
        assert.equal(span.parentSpanContext?.spanId, publisher.spanId)
        assert.equal(span.status.code, SpanStatusCode.ERROR)
      }
      assert.deepEqual(
        attempts.map((span) => [
          span.attributes['convoy.message.attempt'],
          span.attributes['convoy.message.outcome'],
        ]),
        [
          [1, 'retry'],
          [2, 'retry'],
          [3, 'dead'],
        ],
      )
      const expected = `00-${REMOTE.traceId}-${publisher.spanId}-01`
      assert.deepEqual(traceparents, [expected, expected, expected])
      const dead = await eventually(async () => {
        const messages = await drainQueue(env.url, deadLetterQueue(queue))
        return messages.length > 0 ? messages : null
      }, 'dead letter')
      assert.equal(dead[0]!.headers.traceparent, expected)
      assert.equal(dead[0]!.headers.tracestate, 'convoy=test')
      await sub.close()
    })
  })
}
