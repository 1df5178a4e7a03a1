import { setTimeout as sleep } from 'node:timers/promises'
import type { AsyncMessage, Channel, Connection } from 'rabbitmq-client'
import type { Logger } from '../log/index.ts'

/** How long a settled message may wait for the ones before it before it is acked on its own. */
const STRAGGLER_MS = 100

/**
 * Acknowledgements on one channel, coalesced: messages settled in the same turn of the event loop
 * (a batch committed together) are acked with one `basic.ack multiple` up to the highest tag
 * below which every message is settled, instead of one frame and one socket write each. A
 * message settled while an earlier one is still being handled waits at most `STRAGGLER_MS`, then
 * is acked on its own, so one slow message never holds the prefetch window of the others.
 */
function coalescedAcks(channel: Channel, log: Logger) {
  let floor = 1 // every delivery tag below this one has been acked or nacked
  const settled = new Map<number, boolean>() // tag → already acked or nacked on its own
  let scheduled = false
  let straggler: NodeJS.Timeout | undefined

  // Once the channel is gone so are its delivery tags; the broker redelivers those messages.
  const send = (action: () => void) => {
    if (!channel.active) return
    try {
      action()
    } catch (error) {
      log.warn({ err: error }, 'acknowledgement not sent')
    }
  }

  function flush() {
    scheduled = false
    let top = 0 // the highest tag of the settled run from `floor` that still needs an ack
    for (let acked = settled.get(floor); acked !== undefined; acked = settled.get(floor)) {
      if (!acked) top = floor
      settled.delete(floor++)
    }
    if (top > 0) send(() => channel.basicAck({ deliveryTag: top, multiple: true }))
    if (settled.size > 0) straggler ??= setTimeout(ackStragglers, STRAGGLER_MS)
  }

  function ackStragglers() {
    straggler = undefined
    for (const [tag, acked] of settled) {
      if (acked) continue
      send(() => channel.basicAck({ deliveryTag: tag }))
      settled.set(tag, true)
    }
  }

  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }

  return {
    ack(tag: number) {
      settled.set(tag, false)
      schedule()
    },
    /** Returns the message to the queue now (a multiple ack later passes over it harmlessly). */
    requeue(tag: number) {
      send(() => channel.basicNack({ deliveryTag: tag, requeue: true }))
      settled.set(tag, true)
      schedule()
    },
    /** Sends what is due now: before the channel closes. */
    flush() {
      flush()
      ackStragglers()
      clearTimeout(straggler)
    },
  }
}

export interface ConsumerOptions {
  queue: string
  prefetch: number
  /** Declares the queue, its exchanges and bindings on the channel; runs on every (re)connect. */
  setup: (channel: Channel) => Promise<void>
  /** Handles a message; resolving acks it, rejecting returns it to the queue. */
  handle: (message: AsyncMessage) => Promise<void>
  /** Called each time consuming starts, after every (re)connect. */
  onReady?: () => void
  log: Logger
}

/**
 * A RabbitMQ consumer on its own channel, with manual, coalesced acks and bounded prefetch. It
 * re-creates its channel, topology and consumer whenever they are lost (connection or channel
 * closed, queue deleted), with backoff, once every message of the lost channel has been handled.
 */
export function startConsumer(connection: Connection, options: ConsumerOptions) {
  const { log, queue } = options
  let closed = false
  let consuming: { channel: Channel; consumerTag: string; acks: ReturnType<typeof coalescedAcks> } | undefined
  const stopped = new AbortController()
  let inFlight = 0
  const idleWaiters: Array<() => void> = []
  const settledAll = () =>
    inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))

  async function consumeOnce(): Promise<void> {
    const channel = await connection.acquire()
    try {
      const lost = new Promise<void>((resolve) => {
        channel.once('close', resolve)
        channel.once('basic.cancel', () => resolve())
      })
      await options.setup(channel)
      await channel.basicQos({ prefetchCount: options.prefetch })
      const acks = coalescedAcks(channel, log)
      const { consumerTag } = await channel.basicConsume({ queue }, (message) => {
        inFlight++
        const done = () => {
          if (--inFlight === 0) for (const resolve of idleWaiters.splice(0)) resolve()
        }
        options.handle(message).then(
          () => (acks.ack(message.deliveryTag), done()),
          () => (acks.requeue(message.deliveryTag), done()),
        )
      })
      consuming = { channel, consumerTag, acks }
      if (closed) return
      options.onReady?.()
      await lost
      consuming = undefined
      if (!closed) log.warn({ queue }, 'consumer lost its channel, consuming again')
    } finally {
      consuming = undefined
      if (channel.active) await channel.close().catch(() => {})
    }
  }

  const running = (async () => {
    for (let attempt = 1; !closed; attempt++) {
      try {
        await consumeOnce()
        attempt = 0
      } catch (error) {
        if (closed) return
        log.warn({ err: error, queue, attempt }, 'consumer setup failed, retrying')
      }
      // Messages of the lost channel come back from the broker: handle each one at a time only.
      await settledAll()
      if (!closed)
        await sleep(Math.min(200 * 2 ** Math.min(attempt, 5), 5000), undefined, {
          signal: stopped.signal,
        }).catch(() => {})
    }
  })()

  return {
    isReady: () => consuming !== undefined && connection.ready,
    /** Stops taking messages, waits for those in flight, acks them, closes the channel. */
    async close() {
      closed = true
      stopped.abort()
      const current = consuming
      if (current?.channel.active) {
        await current.channel.basicCancel({ consumerTag: current.consumerTag }).catch(() => {})
        await settledAll()
        current.acks.flush()
        await current.channel.close().catch(() => {})
      }
      await running
    },
  }
}
