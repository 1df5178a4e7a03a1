import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import Type from 'typebox'
import { brokerTargets, drainQueue, eventually, testLogger, uniqueName } from '../testing/index.ts'
import {
  connectBroker,
  createBatcher,
  DEATH_REASON_HEADER,
  deadLetterQueue,
  PUBLISHED_AT_HEADER,
  untypedTopic,
  type Broker,
  type Delivery,
} from './index.ts'

const Ping = Type.Object({ n: Type.Integer() })

for (const target of brokerTargets) {
  describe(`broker contract: ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let broker: Broker
    const ping = (routingKey: string) => ({ exchange: 'contract', routingKey, schema: Ping })

    before(async () => {
      env = await target.create()
      broker = connectBroker({ url: env.url, log: testLogger() })
    })
    after(async () => {
      await broker.close()
      await env.drop()
    })

    test('routes by topic pattern and acks what the handler accepts', async () => {
      const seen: Delivery<{ n: number }>[] = []
      const sub = broker.consume({
        queue: uniqueName('test.routing'),
        topics: [ping('ping.*.eu')],
        handler: async (delivery) => void seen.push(delivery),
      })
      await eventually(() => broker.isReady(), 'broker ready')
      // The consumer declares its queue asynchronously; publish until it is bound.
      await eventually(async () => {
        await broker.publish(ping('ping.a.eu'), { n: 1 }, { messageId: 'm-1' })
        return seen.length > 0
      }, 'first delivery')
      await broker.publish(ping('ping.a.us'), { n: 2 })
      await broker.publish(ping('ping.b.eu'), { n: 3 })
      await eventually(() => seen.some((d) => d.body.n === 3), 'n=3 delivered')
      assert.equal(seen[0]!.messageId, 'm-1')
      assert.equal(seen[0]!.attempt, 1)
      assert.ok(!seen.some((d) => d.body.n === 2), 'a non-matching key is not delivered')
      await sub.close()
    })

    test('dead-letters an invalid body with a reason and keeps consuming', async () => {
      const queue = uniqueName('test.invalid')
      const seen: number[] = []
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        handler: async (d) => void seen.push(d.body.n),
      })
      await eventually(async () => {
        await broker.publish(ping(queue), { n: 0 })
        return seen.length > 0
      }, 'consumer bound')
      await broker.publish(untypedTopic(ping(queue)), { n: 'not a number' })
      await broker.publish(ping(queue), { n: 7 })
      await eventually(() => seen.includes(7), 'valid message after the invalid one')
      const dead = await eventually(async () => {
        const messages = await drainQueue(env.url, deadLetterQueue(queue))
        return messages.length > 0 ? messages : null
      }, 'dead letter')
      assert.equal(dead.length, 1)
      assert.deepEqual(JSON.parse(dead[0]!.body), { n: 'not a number' })
      assert.match(String(dead[0]!.headers[DEATH_REASON_HEADER]), /invalid body: \/n/)
      await sub.close()
    })

    test('binds one queue to topics of several exchanges and hands over what each accepts', async () => {
      const queue = uniqueName('test.topics')
      const pong = {
        exchange: 'contract.other',
        routingKey: queue,
        schema: Type.Object({ pong: Type.String() }),
      }
      const seen: string[] = []
      const sub = broker.consume({
        queue,
        topics: [ping(queue), pong],
        handler: async ({ body }) => void seen.push('n' in body ? `ping ${body.n}` : `pong ${body.pong}`),
      })
      await eventually(async () => {
        await broker.publish(ping(queue), { n: 0 })
        return seen.length > 0
      }, 'consumer bound')
      await broker.publish(pong, { pong: 'a' })
      await broker.publish(ping(queue), { n: 1 })
      await eventually(() => seen.includes('pong a') && seen.includes('ping 1'), 'both topics delivered')
      await sub.close()
    })

    test('retries a failing message with backoff, then succeeds', async () => {
      const queue = uniqueName('test.retry')
      const attempts: number[] = []
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        retryDelayMs: 20,
        handler: async (d) => {
          if (d.body.n === 0) return void (bound = true)
          attempts.push(d.attempt)
          if (d.attempt < 3) throw new Error('transient')
        },
      })
      let bound = false
      await eventually(async () => {
        await broker.publish(ping(queue), { n: 0 })
        return bound
      }, 'consumer bound')
      await broker.publish(ping(queue), { n: 1 })
      await eventually(() => attempts.includes(3), 'third attempt')
      assert.deepEqual(attempts, [1, 2, 3])
      await sub.close()
    })

    test('dead-letters after maxAttempts, never loops', async () => {
      const queue = uniqueName('test.poison')
      let calls = 0
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        maxAttempts: 3,
        retryDelayMs: 10,
        handler: async () => {
          calls++
          throw new Error('always fails')
        },
      })
      let published = false
      const dead = await eventually(async () => {
        if (!published && broker.isReady()) {
          await broker.publish(ping(queue), { n: 9 })
          published = calls > 0 || published
        }
        const messages = await drainQueue(env.url, deadLetterQueue(queue))
        return messages.length > 0 ? messages : null
      }, 'dead letter after retries')
      assert.match(String(dead[0]!.headers[DEATH_REASON_HEADER]), /after 3 attempt\(s\): Error: always fails/)
      await sub.close()
    })

    test('stamps each message with when it was published; its consumer records how long it waited', async () => {
      const metrics = new Registry()
      const timed = connectBroker({ url: env.url, log: testLogger(), metrics })
      const queue = uniqueName('test.lag')
      const seen: Array<{ publishedAt: number; at: number }> = []
      const consume = () =>
        timed.consume({
          queue,
          topics: [ping(queue)],
          handler: async ({ headers }) =>
            void seen.push({ publishedAt: Number(headers[PUBLISHED_AT_HEADER]), at: Date.now() }),
        })
      try {
        // The queue is declared and bound, then left without a consumer: the message waits in it.
        const first = consume()
        await eventually(() => first.isReady(), 'queue bound')
        await first.close()
        const publishing = Date.now()
        await timed.publish(ping(queue), { n: 1 })
        const published = Date.now()
        const resumed = Date.now()
        const second = consume()
        await eventually(() => seen.length === 1, 'the waiting message taken')
        await second.close()

        const [{ publishedAt, at }] = seen as [(typeof seen)[0]]
        assert.ok(publishedAt >= publishing && publishedAt <= published, 'stamped as it was published')
        const text = await metrics.metrics()
        const series = (suffix: string) =>
          Number(
            new RegExp(`message_consumer_lag_seconds_${suffix}\\{queue="${queue}"\\} (\\S+)`).exec(text)?.[1],
          )
        assert.equal(series('count'), 1)
        // It waited from its publishing until its consumer took it: no less, no more.
        const lag = series('sum')
        assert.ok(lag >= (resumed - publishedAt) / 1000 && lag <= (at - publishedAt) / 1000, `lag ${lag} s`)
      } finally {
        await timed.close()
      }
    })

    test('temporary queues broadcast: every subscriber receives every message', async () => {
      const key = uniqueName('live')
      const a: number[] = []
      const b: number[] = []
      const subs = [a, b].map((into) =>
        broker.consume({
          queue: 'test.live',
          temporary: true,
          topics: [ping(key)],
          handler: async (d) => void into.push(d.body.n),
        }),
      )
      await eventually(async () => {
        await broker.publish(ping(key), { n: 0 }, { persistent: false })
        return a.length > 0 && b.length > 0
      }, 'both bound')
      await broker.publish(ping(key), { n: 5 }, { persistent: false })
      await eventually(() => a.includes(5) && b.includes(5), 'both received n=5')
      await Promise.all(subs.map((s) => s.close()))
    })

    test('never runs more handlers at once than the prefetch allows; close waits for them', async () => {
      const queue = uniqueName('test.prefetch')
      let running = 0
      let peak = 0
      let done = 0
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        prefetch: 4,
        handler: async (d) => {
          if (d.body.n < 0) return void (bound = true)
          running++
          peak = Math.max(peak, running)
          await new Promise((resolve) => setTimeout(resolve, 5))
          running--
          done++
        },
      })
      let bound = false
      await eventually(async () => {
        await broker.publish(ping(queue), { n: -1 })
        return bound
      }, 'consumer bound')
      await Promise.all(Array.from({ length: 40 }, (_, n) => broker.publish(ping(queue), { n })))
      await eventually(() => done >= 20, 'half handled')
      await sub.close()
      assert.equal(running, 0, 'close resolved with no handler running')
      assert.ok(peak <= 4, `peak concurrency ${peak} <= prefetch 4`)
    })

    test('a batcher behind a consumer writes every message, in batches of at most maxSize', async () => {
      const queue = uniqueName('test.batch')
      const batches: number[][] = []
      const batcher = createBatcher<number>({
        maxSize: 10,
        maxWaitMs: 20,
        flush: async (items) => void batches.push(items),
      })
      const sub = broker.consume({
        queue,
        topics: [ping(queue)],
        prefetch: 50,
        handler: (d) => batcher.add(d.body.n),
      })
      await eventually(async () => {
        await broker.publish(ping(queue), { n: -1 })
        return batches.length > 0
      }, 'bound')
      await Promise.all(Array.from({ length: 25 }, (_, n) => broker.publish(ping(queue), { n })))
      await eventually(() => batches.flat().filter((n) => n >= 0).length === 25, 'all 25 written')
      assert.ok(batches.every((b) => b.length <= 10))
      await sub.close()
    })
  })
}
