import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Connection } from 'rabbitmq-client'
import { createTestVhost, eventually, testLogger, uniqueName } from '../testing/index.ts'
import { registerTestTracing } from '../testing/tracing.ts'
import { connectBroker, type Broker } from './index.ts'
import Type from 'typebox'
import { traceContextCases } from './tracing-cases.ts'

traceContextCases({ kind: 'rabbitmq', create: createTestVhost })

// A message another client sent, with no headers at all (not even an empty table).
test('a RabbitMQ message without any headers is handled in a new root span', async () => {
  const tracing = registerTestTracing()
  tracing.reset()
  const vhost = await createTestVhost()
  const broker: Broker = connectBroker({ url: vhost.url, log: testLogger() })
  const raw = new Connection(vhost.url)
  const publisher = raw.createPublisher({ confirm: true })
  after(async () => {
    await broker.close()
    await publisher.close()
    await raw.close()
    await vhost.drop()
  })
  const queue = uniqueName('test.headerless')
  const seen: number[] = []
  const sub = broker.consume({
    queue,
    topics: [{ exchange: 'tracing', routingKey: queue, schema: Type.Object({ n: Type.Integer() }) }],
    handler: async (d) => void seen.push(d.body.n),
  })
  await eventually(() => sub.isReady(), 'consumer bound')
  await publisher.send({ exchange: 'tracing', routingKey: queue, messageId: 'headerless-1' }, { n: 4 })
  const span = await eventually(
    () => tracing.spans().find((s) => s.attributes['messaging.message.id'] === 'headerless-1') ?? null,
    'consumer span',
  )
  assert.deepEqual(seen, [4])
  assert.equal(span.parentSpanContext, undefined)
  assert.equal(span.attributes['convoy.message.outcome'], 'ack')
  await sub.close()
})
