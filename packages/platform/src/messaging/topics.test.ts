import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type, { type Static } from 'typebox'
import { drainQueue, eventually, testLogger, uniqueName } from '../testing/index.ts'
import { connectBroker, deadLetterQueue } from './index.ts'

// Part of this test is that it compiles (tsc -p .): each `@ts-expect-error` line is a body that
// must not, and tsc fails if it does.

const Order = Type.Object({ version: Type.Literal(2), id: Type.String() }, { additionalProperties: false })
const OrderV1 = Type.Object({ version: Type.Literal(1), ref: Type.String() }, { additionalProperties: false })
const Cancellation = Type.Object({ id: Type.String(), reason: Type.String() })
type Order = Static<typeof Order>
type OrderV1 = Static<typeof OrderV1>
type Cancellation = Static<typeof Cancellation>

const orderPlaced = {
  exchange: 'orders',
  routingKey: 'order.placed',
  schema: Order,
  accepts: Type.Union([Order, OrderV1]),
} as const
const orderCancelled = { exchange: 'orders', routingKey: 'order.cancelled', schema: Cancellation } as const

/** True when `A` and `B` are the same type, not merely assignable one way. */
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false

test('publish takes the newest body of its topic; a consumer is handed every body its topics accept', async () => {
  const url = `embedded://${uniqueName('topics')}`
  const queue = 'test.orders'
  const broker = connectBroker({ url, log: testLogger() })
  const seen: Array<Order | OrderV1 | Cancellation> = []
  const subscription = broker.consume({
    queue,
    topics: [orderPlaced, orderCancelled],
    handler: async ({ body }) => {
      // Both versions of an order and a cancellation, nothing else: the handler must take all three.
      const exactly: Same<typeof body, Order | OrderV1 | Cancellation> = true
      assert.ok(exactly)
      seen.push(body)
    },
  })
  try {
    await broker.publish(orderPlaced, { version: 2, id: 'A-1' })
    await broker.publish(orderCancelled, { id: 'A-1', reason: 'late' })
    // As a producer of version 1 published it: what a test of an older version does.
    await broker.publish({ ...orderPlaced, schema: OrderV1 }, { version: 1, ref: 'B-1' })
    // @ts-expect-error a producer publishes the newest version only
    await broker.publish(orderPlaced, { version: 1, ref: 'C-1' })
    // @ts-expect-error a field missing
    await broker.publish(orderPlaced, { version: 2 })
    // @ts-expect-error a field of the wrong type
    await broker.publish(orderCancelled, { id: 2, reason: 'late' })

    // At run time the consumer's schemas decide: the version-1 order the types refused is one it
    // accepts; the two bodies no topic accepts are dead-lettered.
    await eventually(() => seen.length === 4, 'the valid messages handled')
    assert.deepEqual(seen, [
      { version: 2, id: 'A-1' },
      { id: 'A-1', reason: 'late' },
      { version: 1, ref: 'B-1' },
      { version: 1, ref: 'C-1' },
    ])
    const dead = await eventually(async () => {
      const messages = await drainQueue(url, deadLetterQueue(queue))
      return messages.length === 2 ? messages : null
    }, 'the invalid ones dead-lettered')
    assert.deepEqual(
      dead.map((message) => JSON.parse(message.body) as unknown),
      [{ version: 2 }, { id: 2, reason: 'late' }],
    )
  } finally {
    await subscription.close()
    await broker.close()
  }
})
