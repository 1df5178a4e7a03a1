import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { eventually, testLogger, uniqueName } from '../testing/index.ts'
import { connectBroker } from './index.ts'

const flow = { exchange: 'flow', routingKey: 'x', schema: Type.Object({ n: Type.Number() }) }

test('a publisher waits while a consumer lags far behind, instead of growing memory', async () => {
  const broker = connectBroker({ url: `embedded://${uniqueName('flow')}`, log: testLogger() })
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  const subscription = broker.consume({
    queue: 'flow.q',
    topics: [{ ...flow, routingKey: '#' }],
    prefetch: 1,
    handler: () => gate,
  })
  let confirmed = 0
  const published = Array.from({ length: 10_100 }, (_, n) =>
    broker.publish(flow, { n }).then(() => void confirmed++),
  )
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(confirmed < 10_100, `only ${confirmed} confirmed while the consumer is stuck`)
  open()
  await Promise.all(published)
  await eventually(() => confirmed === 10_100, 'all confirmed once it drains')
  await subscription.close()
  await broker.close()
})
