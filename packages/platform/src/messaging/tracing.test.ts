import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api'
import Type from 'typebox'
import { createLogger } from '../log/index.ts'
import { brokerTargets, eventually, testLogger, uniqueName } from '../testing/index.ts'
import { registerTestTracing } from '../testing/tracing.ts'
import { createBatcher } from './batcher.ts'
import { connectBroker, inProducerSpan, journaledBrokerUrl, untypedTopic } from './index.ts'
import { traceContextCases } from './tracing-cases.ts'

// The embedded broker here, with and without its journal; RabbitMQ in tracing.integration.test.ts.
for (const target of brokerTargets.filter((t) => t.kind !== 'rabbitmq')) traceContextCases(target)

test('a batch is flushed in a span of its own, linked to the span each item was added in', async () => {
  const tracing = registerTestTracing()
  tracing.reset()
  const tracer = trace.getTracer('test')
  const flushed: Array<{ items: number[]; active?: string }> = []
  const batcher = createBatcher<number>({
    maxSize: 2,
    maxWaitMs: 1000,
    flush: async (items) => void flushed.push({ items, active: trace.getActiveSpan()?.spanContext().spanId }),
  })
  const added = await Promise.all(
    [1, 2].map((n) =>
      tracer.startActiveSpan(`message ${n}`, {}, ROOT_CONTEXT, async (span) => {
        const done = batcher.add(n)
        span.end()
        await done
        return span.spanContext()
      }),
    ),
  )
  const [batch] = tracing.spans().filter((span) => span.name === 'flush batch')
  assert.ok(batch)
  assert.equal(batch.parentSpanContext, undefined, 'the child of none of them')
  assert.deepEqual(
    batch.links.map((link) => link.context.spanId),
    added.map((context) => context.spanId),
  )
  assert.equal(batch.attributes['messaging.batch.message_count'], 2)
  assert.deepEqual(flushed, [{ items: [1, 2], active: batch.spanContext().spanId }])
})

test("the embedded broker's journal keeps a message's trace context: handled after a restart, it is still its publisher's child", async () => {
  const tracing = registerTestTracing()
  tracing.reset()
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-journal-'))
  after(() => rm(dir, { recursive: true, force: true }))
  const url = journaledBrokerUrl(uniqueName('trace-journal'), dir)
  const queue = uniqueName('test.trace-journal')
  const topic = { exchange: 'tracing', routingKey: queue, schema: Type.Object({ n: Type.Integer() }) }

  const first = connectBroker({ url, log: testLogger() })
  // Declares the durable queue and its binding, then leaves: the message waits in the journal.
  await first.consume({ queue, topics: [topic], handler: async () => {} }).close()
  const publisher = await trace
    .getTracer('test')
    .startActiveSpan('publisher', {}, ROOT_CONTEXT, async (span) => {
      await first.publish(topic, { n: 1 }, { messageId: 'journaled-1' })
      span.end()
      return span.spanContext()
    })
  await first.close()

  const second = connectBroker({ url, log: testLogger() })
  after(() => second.close())
  const handled: string[] = []
  const sub = second.consume({ queue, topics: [topic], handler: async (d) => void handled.push(d.messageId) })
  const consumer = await eventually(
    () => tracing.spans().find((span) => span.attributes['messaging.message.id'] === 'journaled-1') ?? null,
    'consumer span after the restart',
  )
  assert.deepEqual(handled, ['journaled-1'])
  assert.equal(consumer.spanContext().traceId, publisher.traceId)
  assert.equal(consumer.parentSpanContext?.spanId, publisher.spanId)
  await sub.close()
})

test("the broker's log lines about a message carry the trace of the message: its publisher's trace id", async () => {
  const tracing = registerTestTracing()
  tracing.reset()
  const lines: Array<{ msg: string; messageId?: string; trace_id?: string; span_id?: string }> = []
  const log = createLogger({
    service: 'test',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[0]) },
  })
  const broker = connectBroker({ url: `embedded://${uniqueName('trace-log')}`, log })
  after(() => broker.close())
  const queue = uniqueName('test.trace-log')
  const topic = { exchange: 'tracing', routingKey: queue, schema: Type.Object({ n: Type.Integer() }) }
  const sub = broker.consume({ queue, topics: [topic], handler: async () => {} })
  await eventually(() => sub.isReady(), 'consumer ready')
  const traceId = await trace
    .getTracer('test')
    .startActiveSpan('publisher', {}, ROOT_CONTEXT, async (span) => {
      await broker.publish(untypedTopic(topic), { n: 'not a number' }, { messageId: 'logged-1' })
      span.end()
      return span.spanContext().traceId
    })
  const line = await eventually(
    () => lines.find((l) => l.msg === 'message dead-lettered' && l.messageId === 'logged-1') ?? null,
    'dead-letter line',
  )
  const consumer = tracing.spans().find((span) => span.attributes['messaging.message.id'] === 'logged-1')!
  assert.equal(line.trace_id, traceId)
  assert.equal(line.span_id, consumer.spanContext().spanId)
  await sub.close()
})

test('a message published in a PRODUCER span outside any trace starts one, which its consumer continues', async () => {
  const tracing = registerTestTracing()
  tracing.reset()
  const broker = connectBroker({ url: `embedded://${uniqueName('trace-producer')}`, log: testLogger() })
  after(() => broker.close())
  const queue = uniqueName('test.trace-producer')
  const topic = { exchange: 'tracing', routingKey: queue, schema: Type.Object({ n: Type.Integer() }) }
  const sub = broker.consume({ queue, topics: [topic], handler: async () => {} })
  after(() => sub.close())
  await eventually(() => sub.isReady(), 'consumer ready')
  // As a timer would: no span active.
  await context.with(ROOT_CONTEXT, () =>
    inProducerSpan({ system: broker.kind, ...topic }, () =>
      broker.publish(topic, { n: 1 }, { messageId: 'produced-1' }),
    ),
  )
  const consumer = await eventually(
    () => tracing.spans().find((span) => span.attributes['messaging.message.id'] === 'produced-1') ?? null,
    'consumer span',
  )
  const producer = tracing.spans().find((span) => span.name === 'send tracing')
  assert.ok(producer)
  assert.equal(producer.kind, SpanKind.PRODUCER)
  assert.equal(producer.parentSpanContext, undefined, 'the root of its trace')
  assert.equal(producer.attributes['messaging.rabbitmq.destination.routing_key'], queue)
  assert.equal(consumer.spanContext().traceId, producer.spanContext().traceId)
  assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId)
})
