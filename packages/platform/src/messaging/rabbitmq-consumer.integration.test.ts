import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Connection } from 'rabbitmq-client'
import Type from 'typebox'
import {
  createTestVhost,
  eventually,
  queueCounts,
  TEST_AMQP_HOST,
  tcpProxy,
  testLogger,
  uniqueName,
} from '../testing/index.ts'
import { connectBroker, type Broker } from './index.ts'

const Ping = Type.Object({ n: Type.Integer() })
const ping = (routingKey: string) => ({ exchange: 'consumer', routingKey, schema: Ping })

// What the RabbitMQ consumer does beyond the broker contract: how it acks and how it recovers.
describe('RabbitMQ consumer', () => {
  let vhost: { url: string; drop(): Promise<void> }
  let broker: Broker
  let admin: Connection

  before(async () => {
    vhost = await createTestVhost()
    broker = connectBroker({ url: vhost.url, log: testLogger() })
    admin = new Connection(vhost.url)
  })
  after(async () => {
    await broker.close()
    await admin.close()
    await vhost.drop()
  })

  async function publishUntilBound(isDelivered: () => boolean, routingKey: string) {
    await eventually(async () => {
      await broker.publish(ping(routingKey), { n: -1 })
      return isDelivered()
    }, 'consumer bound')
  }

  test('acks handled messages even while an earlier one is still being handled', async () => {
    const queue = uniqueName('test.acks')
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const handled = new Set<number>()
    const sub = broker.consume({
      queue,
      topics: [ping('acks')],
      prefetch: 100,
      handler: async ({ body }) => {
        if (body.n === 0) await held
        handled.add(body.n)
      },
    })
    await publishUntilBound(() => handled.has(-1), 'acks')
    for (let n = 0; n <= 50; n++) await broker.publish(ping('acks'), { n })
    await eventually(() => handled.size === 51, 'all but the held message handled') // -1 and 1..50
    // The held message is the only one the broker still waits for.
    await eventually(async () => {
      const counts = await queueCounts(vhost.url, queue)
      return counts.ready === 0 && counts.unacked === 1
    }, 'only the held message unacknowledged')
    release()
    await eventually(
      async () => (await queueCounts(vhost.url, queue)).unacked === 0,
      'the held message acknowledged once handled',
    )
    assert.ok(handled.has(0))
    await sub.close()
  })

  test('closing waits for handlers, acks their messages and leaves nothing behind', async () => {
    const queue = uniqueName('test.close')
    const handled: number[] = []
    const sub = broker.consume({
      queue,
      topics: [ping('close')],
      prefetch: 500,
      handler: async ({ body }) => {
        await new Promise((resolve) => setImmediate(resolve))
        handled.push(body.n)
      },
    })
    await publishUntilBound(() => handled.includes(-1), 'close')
    await Promise.all(Array.from({ length: 300 }, (_, n) => broker.publish(ping('close'), { n })))
    await sub.close()
    const counts = await queueCounts(vhost.url, queue)
    // Whatever was handled was acked; whatever was not is still in the queue, nothing in between.
    assert.equal(counts.unacked, 0)
    assert.equal(counts.ready + handled.filter((n) => n >= 0).length, 300)
  })

  test('consumes again when its queue is deleted under it', async () => {
    const queue = uniqueName('test.cancel')
    const handled: number[] = []
    const sub = broker.consume({
      queue,
      topics: [ping('cancel')],
      handler: async ({ body }) => void handled.push(body.n),
    })
    await publishUntilBound(() => handled.includes(-1), 'cancel')
    await admin.queueDelete({ queue })
    // The consumer re-declares and re-binds its queue; new messages reach it again.
    await eventually(async () => {
      await broker.publish(ping('cancel'), { n: 1 })
      return handled.includes(1)
    }, 'consuming again after the queue was deleted')
    assert.ok(sub.isReady())
    await sub.close()
  })

  test('tells its owner each time it is bound again, so a temporary queue can catch up on what it missed', async () => {
    const [host, port] = TEST_AMQP_HOST.split(':')
    const proxy = await tcpProxy({ host: host!, port: Number(port) })
    const cut = connectBroker({
      url: Object.assign(new URL(vhost.url), { port: String(proxy.port) }).toString(),
      log: testLogger(),
    })
    let readies = 0
    const sub = cut.consume({
      queue: uniqueName('test.ready'),
      temporary: true,
      topics: [ping('ready')],
      onReady: () => readies++,
      handler: async () => {},
    })
    try {
      await eventually(() => readies === 1 && sub.isReady(), 'bound once')
      // The connection drops (a broker restart, a network cut): the temporary queue goes with it.
      proxy.cut()
      await eventually(() => !sub.isReady(), 'not ready while cut off')
      proxy.restore()
      await eventually(() => readies === 2 && sub.isReady(), 'bound again after the reconnect', 20_000)
    } finally {
      await sub.close()
      await cut.close()
      await proxy.close()
    }
  })
})
