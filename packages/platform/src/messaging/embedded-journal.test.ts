import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Type from 'typebox'
import { drainQueue, eventually, testLogger } from '../testing/index.ts'
import {
  connectBroker,
  DEATH_REASON_HEADER,
  deadLetterQueue,
  DELIVERY_LIMIT,
  journaledBrokerUrl,
  type Broker,
  type Delivery,
} from './index.ts'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const Body = Type.Object({ n: Type.Integer() })
const EXCHANGE = 'journal'
/** The messages of the queue `routingKey`: each queue is bound with its own name. */
const journal = (routingKey: string) => ({ exchange: EXCHANGE, routingKey, schema: Body })

const dirs: string[] = []
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
async function journalUrl() {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-journal-'))
  dirs.push(dir)
  return { dir, url: journaledBrokerUrl('journal-test', dir) }
}

/**
 * Another process on the journaled broker at `url`, running `script` (an async function body with
 * `broker`, `consume(queue, handler, options)`, `publish(queue, body, options)`, `say(line)`
 * and `until(check)` in scope). Resolves with the lines it says, as they come.
 */
function brokerProcess(url: string, script: string) {
  const code = `
    import Type from 'typebox'
    import { Registry } from 'prom-client'
    import { createLogger } from ${JSON.stringify(new URL('../log/index.ts', import.meta.url).href)}
    import { connectBroker } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)}
    const metrics = new Registry()
    const broker = connectBroker({ url: process.argv[1], log: createLogger({ service: 'child', level: 'silent' }), metrics })
    const topic = (queue) => ({ exchange: '${EXCHANGE}', routingKey: queue, schema: Type.Object({ n: Type.Integer() }) })
    const consume = (queue, handler, options = {}) => broker.consume({ queue, topics: [topic(queue)], handler, ...options })
    const publish = (queue, body, options) => broker.publish(topic(queue), body, options)
    const say = (line) => process.stdout.write(line + '\\n')
    const until = async (check) => { while (!(await check())) await new Promise((r) => setTimeout(r, 10)) }
    const counted = async (queue, outcome) => (await metrics.getSingleMetricAsString('messages_consumed_total'))
      .includes('queue="' + queue + '",outcome="' + outcome + '"} 1')
    ${script}`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, url], {
    cwd: ROOT,
    // Node keeps the compiled modules for the next process: a test that starts twenty saves seconds.
    env: { ...process.env, NODE_COMPILE_CACHE: path.join(tmpdir(), 'convoy-test-compile-cache') },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  return {
    child,
    /** The next line it says. */
    next: async () => ((await once(lines, 'line')) as [string])[0],
    async kill() {
      child.kill('SIGKILL')
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
    },
  }
}

/** A consumer in this process that keeps what it receives. */
function collect(broker: Broker, queue: string, options: { retryDelayMs?: number } = {}) {
  const seen: Array<Delivery<{ n: number }> & { at: number }> = []
  const subscription = broker.consume({
    queue,
    topics: [journal(queue)],
    ...options,
    handler: async (delivery) => void seen.push({ ...delivery, at: Date.now() }),
  })
  return { seen, numbers: () => seen.map((d) => d.body.n), close: () => subscription.close() }
}

test('a process killed with SIGKILL leaves its journal to the next one: what RabbitMQ keeps across a crash is kept', async () => {
  const { url } = await journalUrl()
  const before = brokerProcess(
    url,
    `
    // A durable queue nobody consumes right now: its messages wait, its binding stays.
    await consume('j.ready', async () => {}).close()
    await publish('j.ready', { n: 1 })
    await publish('j.ready', { n: 99 }, { persistent: false }) // transient: lost in a crash, as in RabbitMQ
    await publish('j.ready', { n: 2 })
    await publish('j.ready', { n: 3 })
    // Delivered, never acked: the process dies in the middle of handling it.
    let handling = false
    consume('j.unacked', () => { handling = true; return new Promise(() => {}) })
    await publish('j.unacked', { n: 1 })
    // Failed once: waits out a 1.5 s backoff before its second attempt.
    let failedAt = 0
    consume('j.retry', async ({ attempt }) => { if (attempt === 1) { failedAt = Date.now(); throw new Error('transient') } },
      { retryDelayMs: 1500 })
    await publish('j.retry', { n: 1 })
    // Invalid: dead-lettered.
    consume('j.invalid', async () => {})
    await publish('j.invalid', { n: 'not a number' })
    // Acked: done with for good.
    consume('j.acked', async () => {})
    await publish('j.acked', { n: 1 })
    await until(async () => handling && (await counted('j.retry', 'retry')) && (await counted('j.invalid', 'dead'))
      && (await counted('j.acked', 'ack')))
    // Journal writes keep their order: once this one is confirmed, everything before it is written.
    await consume('j.barrier', async () => {}).close()
    await publish('j.barrier', { n: 0 })
    say(String(failedAt))
    await new Promise(() => {})
    `,
  )
  const failedAt = Number(await before.next())
  await before.kill()

  const broker = connectBroker({ url, log: testLogger() })
  try {
    // The binding survived: a message published before anyone consumes the queue here reaches it.
    await broker.publish(journal('j.ready'), { n: 4 })
    const ready = collect(broker, 'j.ready')
    const unacked = collect(broker, 'j.unacked')
    const retried = collect(broker, 'j.retry', { retryDelayMs: 1500 })
    const acked = collect(broker, 'j.acked')
    await broker.publish(journal('j.acked'), { n: 2 })

    await eventually(() => ready.seen.length === 4, 'the messages that waited, then the new one')
    assert.deepEqual(ready.numbers(), [1, 2, 3, 4], 'in order, the transient one lost')
    await eventually(() => unacked.seen.length === 1, 'the unacked message delivered again')
    assert.deepEqual(unacked.numbers(), [1])
    await eventually(() => acked.seen.length === 1, 'the new message')
    assert.deepEqual(acked.numbers(), [2], 'the acked message is not delivered again')
    const [retry] = await eventually(() => (retried.seen.length > 0 ? retried.seen : null), 'the retry')
    assert.equal(retry!.attempt, 2, 'the retry keeps its attempt number')
    assert.ok(retry!.at >= failedAt + 1500, `and its delay: ${retry!.at - failedAt} ms after the failure`)
    const dead = await drainQueue(url, deadLetterQueue('j.invalid'))
    assert.equal(dead.length, 1, 'the dead letter stays')
    assert.match(String(dead[0]!.headers[DEATH_REASON_HEADER]), /invalid body: \/n/)
    await Promise.all([ready, unacked, retried, acked].map((consumer) => consumer.close()))
  } finally {
    await broker.close()
  }
})

test('a message handed out 20 times and never settled, across crashes, is dead-lettered instead of delivered again', async () => {
  const { url } = await journalUrl()
  // Each process gets it 10 times: 9 times its consumer stops in the middle of it and hands it
  // back, the 10th time the process is killed in the middle of it (a crash loop, sped up).
  for (const first of [true, false]) {
    const crashing = brokerProcess(
      url,
      `let giveBack
       const handler = () => new Promise((_, reject) => (giveBack = reject))
       for (let delivery = 1; delivery <= 10; delivery++) {
         const subscription = consume('j.loop', handler)
         ${first ? "if (delivery === 1) await publish('j.loop', { n: 1 })" : ''}
         await until(() => giveBack)
         if (delivery === 10) break
         const closing = subscription.close()
         giveBack(new Error('stopped in the middle'))
         giveBack = undefined
         await closing
       }
       say('handling it the 10th time')`,
    )
    assert.equal(await crashing.next(), 'handling it the 10th time')
    await crashing.kill()
  }
  const broker = connectBroker({ url, log: testLogger() })
  try {
    const loop = collect(broker, 'j.loop')
    await broker.publish(journal('j.loop'), { n: 2 })
    await eventually(() => loop.seen.length > 0, 'the next message')
    assert.deepEqual(loop.numbers(), [2], 'the 21st delivery does not happen')
    const dead = await drainQueue(url, deadLetterQueue('j.loop'))
    assert.equal(dead.length, 1)
    assert.deepEqual(JSON.parse(dead[0]!.body), { n: 1 })
    assert.match(
      String(dead[0]!.headers[DEATH_REASON_HEADER]),
      new RegExp(`delivered ${DELIVERY_LIMIT} times without an ack`),
    )
    await loop.close()
  } finally {
    await broker.close()
  }
})

test('the journal holds what is not acked: it stays small while messages come and go, and shrinks back when opened', async () => {
  const { dir, url } = await journalUrl()
  const size = async () => {
    let total = 0
    for (const file of await readdir(dir)) total += (await stat(path.join(dir, file))).size
    return total
  }
  const text = 'x'.repeat(1000)
  const Padded = Type.Object({ n: Type.Integer(), text: Type.String() })
  const padded = (routingKey: string) => ({ exchange: EXCHANGE, routingKey, schema: Padded })
  let broker = connectBroker({ url, log: testLogger() })
  let handled = 0
  const subscription = broker.consume({
    queue: 'j.flow',
    topics: [padded('j.flow')],
    prefetch: 100,
    handler: async () => void handled++,
  })
  // 20 MB through the journal, a thousand messages at a time.
  for (let round = 1; round <= 20; round++) {
    await Promise.all(Array.from({ length: 1000 }, (_, n) => broker.publish(padded('j.flow'), { n, text })))
    await eventually(() => handled === round * 1000, `round ${round} handled`)
  }
  await subscription.close()
  const flowing = await size()
  assert.ok(flowing < 10_000_000, `${flowing} bytes after 20 MB came and went`)

  // A backlog of 8 MB, then consumed: the file keeps its pages until the journal is opened again.
  await broker
    .consume({
      queue: 'j.backlog',
      topics: [padded('j.backlog')],
      handler: async () => {},
    })
    .close()
  await Promise.all(Array.from({ length: 8000 }, (_, n) => broker.publish(padded('j.backlog'), { n, text })))
  await broker.close()
  broker = connectBroker({ url, log: testLogger() })
  const drained = await drainQueue(url, 'j.backlog')
  assert.equal(drained.length, 8000)
  await broker.close()
  const large = await size()
  broker = connectBroker({ url, log: testLogger() })
  await broker.close()
  const compacted = await size()
  assert.ok(compacted < large / 10, `${large} bytes, then ${compacted} once opened again`)
})
