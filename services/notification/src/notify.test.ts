import { legacyUserId } from '@convoy/access'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import {
  mediaFailed,
  mediaReady,
  notificationCreated,
  type Email,
  type NotificationCreated,
  type MediaEvent,
  type Notification,
} from '@convoy/contracts'
import { openDatabase } from '@convoy/platform/db'
import { connectBroker, deadLetterQueue, untypedTopic } from '@convoy/platform/messaging'
import {
  createTestDatabase,
  createTestVhost,
  drainQueue,
  eventually,
  freePorts,
  queueCounts,
  testLogger,
  uniqueName,
} from '@convoy/platform/testing'
import { testIssuer } from '@convoy/access/testing'
import { buildApp } from './app.ts'
import { draftFor } from './content.ts'
import { parseMail, startMailCatcher, type MailCatcher } from '@convoy/platform/testing'
import { outboxMailer, smtpMailer } from './mailer.ts'
import { migrations, type Tables } from './migrations.ts'
import { NOTIFICATION_QUEUE, startNotifier } from './notify.ts'
import { notificationStore } from './store.ts'

type Resource = { url: string; drop(): Promise<void> }
const targets: Array<{ name: string; database(): Promise<Resource>; broker(): Promise<Resource> }> = [
  {
    name: 'PGlite and the embedded broker',
    // In memory: the same engine as on disk (app.test.ts covers both), without initdb's seconds.
    database: async () => ({ url: 'pglite:memory', drop: async () => {} }),
    broker: async () => ({ url: `embedded://${uniqueName('notification')}`, drop: async () => {} }),
  },
  { name: 'PostgreSQL and RabbitMQ', database: createTestDatabase, broker: createTestVhost },
]

const PUBLIC_URL = 'https://convoy.example.test'
const FROM = 'Convoy <convoy@example.test>'
const DEAD = deadLetterQueue(NOTIFICATION_QUEUE)

function mediaEvent(owner: string, status: 'ready' | 'failed', media: Partial<MediaEvent['media']> = {}) {
  return {
    version: 2,
    ownerId: legacyUserId(owner),
    ownerName: owner,
    media: {
      id: randomUUID(),
      filename: 'Fahrt über die Brücke.mp4',
      size: 1234,
      status,
      createdAt: '2026-01-01T12:00:00.000Z',
      updatedAt: '2026-01-01T12:01:00.000Z',
      ...(status === 'failed' ? { error: 'the file has no audio track' } : {}),
      ...media,
    },
  } satisfies MediaEvent
}

/**
 * The notification service's consuming side as it runs: `replicas` notifiers on one queue and one
 * database, mailing through SMTP on `smtpPort` (or to an outbox), a listener for what they push
 * (the gateway's part), and the HTTP app over the same database.
 */
async function startSystem(
  target: (typeof targets)[number],
  options: { replicas: number; smtpPort?: number; outboxDir?: string; maxAttempts?: number },
) {
  const [databaseEnv, brokerEnv] = await Promise.all([target.database(), target.broker()])
  const log = testLogger()
  const database = await openDatabase<Tables>({ url: databaseEnv.url, log, migrations })
  const store = notificationStore(database.db)

  const listener = connectBroker({ url: brokerEnv.url, log })
  const pushes: Array<{ body: NotificationCreated; messageId: string }> = []
  const listening = listener.consume({
    queue: 'test.notifications',
    // The newest version alone: what notification publishes.
    topics: [{ ...notificationCreated, accepts: notificationCreated.schema }],
    handler: async ({ body, messageId }) => void pushes.push({ body, messageId }),
  })

  const replicas = Array.from({ length: options.replicas }, () => {
    const metrics = new Registry()
    const broker = connectBroker({ url: brokerEnv.url, log, metrics })
    const mailOptions = { from: FROM, log, metrics, checkDelayMs: { min: 20, max: 200 } }
    const mailer = options.outboxDir
      ? outboxMailer(options.outboxDir, mailOptions)
      : smtpMailer(
          {
            host: '127.0.0.1',
            port: options.smtpPort!,
            tls: 'none',
            user: '',
            password: '',
            timeoutMs: 2000,
          },
          mailOptions,
        )
    const notifier = startNotifier({
      broker,
      store,
      mailer,
      log,
      metrics,
      content: { publicUrl: PUBLIC_URL, mailDomain: 'example.test' },
      databaseReady: database.ping,
      leaseMs: 30_000,
      // Few attempts, quickly retried: a message whose attempts were used up would be dead at once.
      retryDelayMs: 20,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    })
    return { metrics, broker, mailer, notifier }
  })
  const publisher = connectBroker({ url: brokerEnv.url, log })
  await eventually(
    () => listening.isReady() && replicas.every((r) => r.notifier.isReady()),
    'subscriptions ready',
  )

  const issuer = await testIssuer()
  const app = buildApp({ service: 'notification', log, store, verifier: issuer.verifier })

  /** The sum over the replicas of a counter's series matching `labels`. */
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    let sum = 0
    for (const { metrics } of replicas) {
      const { values } = (await metrics.getSingleMetric(name)?.get()) ?? { values: [] }
      for (const value of values)
        if (Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted)) sum += value.value
    }
    return sum
  }
  const acked = () => metric('messages_consumed_total', { queue: NOTIFICATION_QUEUE, outcome: 'ack' })

  return {
    brokerUrl: brokerEnv.url,
    store,
    database,
    /** The owner's pushes, once the listener has received every push the replicas published. */
    async pushesTo(owner: string) {
      await eventually(
        async () =>
          (await metric('messages_published_total', { exchange: notificationCreated.exchange })) ===
          pushes.length,
        'every push received',
      )
      return pushes.filter((p) => p.body.ownerId === legacyUserId(owner))
    },
    metric,
    acked,
    /** Publishes any body, valid or not, as media.failed if it says so, else as media.ready. */
    publish: (event: unknown, messageId?: string) =>
      publisher.publish(
        untypedTopic((event as MediaEvent).media?.status === 'failed' ? mediaFailed : mediaReady),
        event,
        messageId ? { messageId } : {},
      ),
    /** Publishes, and resolves once every message was acknowledged. */
    async deliver(messages: Array<[event: unknown, messageId?: string]>) {
      const before = await acked()
      for (const [event, messageId] of messages) await this.publish(event, messageId)
      await eventually(async () => (await acked()) === before + messages.length, 'messages acknowledged')
    },
    get: async <T>(url: string, username: string) => {
      const token = await issuer.token({ user: username, role: 'dispatcher' })
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
      assert.equal(response.statusCode, 200, response.body)
      return response.json<T>()
    },
    issuer,
    async close() {
      for (const { notifier } of replicas) await notifier.close()
      for (const { mailer, broker } of replicas) await Promise.all([mailer.close(), broker.close()])
      await Promise.all([listening.close(), app.close()])
      await Promise.all([listener.close(), publisher.close()])
      await database.close()
      await Promise.all([databaseEnv.drop(), brokerEnv.drop()])
    },
  }
}
type System = Awaited<ReturnType<typeof startSystem>>

for (const target of targets) {
  describe(`notifier on ${target.name}`, () => {
    let catcher: MailCatcher
    let system: System
    before(async () => {
      catcher = await startMailCatcher()
      system = await startSystem(target, { replicas: 2, smtpPort: catcher.port })
    })
    after(async () => {
      await system?.close()
      await catcher?.close()
    })
    const mailsTo = (address: string) => catcher.mails.filter((m) => m.envelope.to.includes(address))

    test('media.ready: one email, one notification.created, one notification listed', async () => {
      const owner = uniqueName('alice')
      const event = mediaEvent(owner, 'ready')
      await system.deliver([[event]])

      const [mail, ...more] = mailsTo(`${owner}@example.test`)
      assert.ok(mail && more.length === 0, 'exactly one email')
      assert.equal(mail.headers['from'], FROM)
      assert.equal(mail.headers['to'], `${owner}@example.test`)
      assert.equal(mail.headers['subject'], 'Your MP3 of Fahrt über die Brücke.mp4 is ready')
      assert.equal(mail.headers['message-id'], `<media-${event.media.id}-ready@convoy>`)
      assert.match(mail.text, /Fahrt über die Brücke\.mp4/)
      assert.match(mail.text, /https:\/\/convoy\.example\.test\/#\/uploads/)

      const pushed = await system.pushesTo(owner)
      assert.equal(pushed.length, 1, 'exactly one push')
      const { notification } = pushed[0]!.body
      assert.equal(pushed[0]!.messageId, notification.id, 'the push carries the notification id')
      assert.deepEqual(
        {
          kind: notification.kind,
          mediaId: notification.mediaId,
          title: notification.title,
          body: notification.body,
        },
        {
          kind: mediaReady.routingKey,
          mediaId: event.media.id,
          title: mail.headers['subject'],
          body: mail.text,
        },
      )

      assert.deepEqual(await system.get<Notification[]>('/notifications', owner), [notification])
      const emails = await system.get<Email[]>('/notifications/emails', owner)
      assert.equal(emails.length, 1)
      assert.deepEqual(
        { ...emails[0], sentAt: undefined },
        {
          id: notification.id,
          to: `${owner}@example.test`,
          subject: notification.title,
          text: notification.body,
          sentAt: undefined,
        },
      )
      assert.ok(emails[0]!.sentAt, 'sent')
    })

    test('media.failed: the email says why', async () => {
      const owner = uniqueName('bob')
      const event = mediaEvent(owner, 'failed', { filename: 'broken.mov' })
      await system.deliver([[event]])
      const [mail, ...more] = mailsTo(`${owner}@example.test`)
      assert.ok(mail && more.length === 0, 'exactly one email')
      assert.equal(mail.headers['subject'], 'broken.mov could not be converted')
      assert.equal(mail.headers['message-id'], `<media-${event.media.id}-failed@convoy>`)
      assert.match(mail.text, /Reason: the file has no audio track/)
      assert.match(mail.text, /#\/uploads/)
      const [pushed] = await system.pushesTo(owner)
      assert.equal(pushed?.body.notification.kind, mediaFailed.routingKey)
    })

    test('a version-1 event, from before users had ids, still tells the user of that name', async () => {
      const owner = uniqueName('olga')
      const { ownerId: _, ownerName: __, ...rest } = mediaEvent(owner, 'ready')
      await system.deliver([[{ ...rest, version: 1, owner }]])
      assert.equal(mailsTo(`${owner}@example.test`).length, 1, 'one email')
      assert.equal((await system.pushesTo(owner)).length, 1, 'one push, to the id of that name')
      assert.equal((await system.get<Notification[]>('/notifications', owner)).length, 1)
    })

    test('the same event again and again, at both replicas at once: still one email, one push', async () => {
      const owner = uniqueName('carol')
      const event = mediaEvent(owner, 'ready')
      const messageId = randomUUID()
      await system.deliver([
        [event, messageId],
        [event, messageId],
        [event, randomUUID()],
        [event, randomUUID()],
        [event],
        [event],
      ])
      assert.equal(mailsTo(`${owner}@example.test`).length, 1, 'one email')
      assert.equal((await system.pushesTo(owner)).length, 1, 'one push')
      const rows = await system.database.db
        .selectFrom('emails')
        .innerJoin('notifications', 'notifications.id', 'emails.notification_id')
        .select(['attempts', 'pushed_at', 'sent_at', 'claimed_by'])
        .where('owner_id', '=', legacyUserId(owner))
        .execute()
      assert.equal(rows.length, 1)
      assert.equal(rows[0]!.attempts, 1, 'sent on the first attempt, never tried again')
      assert.ok(rows[0]!.pushed_at && rows[0]!.sent_at)
      assert.equal(rows[0]!.claimed_by, null, 'the lease was given back')

      // The job's other kind is another notification.
      await system.deliver([[{ ...event, media: { ...event.media, status: 'failed', error: 'gone' } }]])
      assert.equal(mailsTo(`${owner}@example.test`).length, 2)
    })

    test('a notification whose lease a killed process still holds is sent at once, not when the lease runs out', async () => {
      const owner = uniqueName('erin')
      const event = mediaEvent(owner, 'ready')
      // A replica on this host took the lease for an hour, then was killed in the middle of sending.
      const killed = spawn(process.execPath, ['-e', ''])
      await once(killed, 'exit')
      await system.store.record(draftFor(event, { publicUrl: PUBLIC_URL, mailDomain: 'example.test' }))
      await system.database.db
        .updateTable('notifications')
        .set({
          claimed_by: JSON.stringify({ hostname: hostname(), pid: killed.pid, id: randomUUID() }),
          claimed_until: new Date(Date.now() + 3_600_000),
        })
        .where('media_id', '=', event.media.id)
        .execute()
      await system.deliver([[event]])
      assert.equal(mailsTo(`${owner}@example.test`).length, 1, 'sent, once')
    })

    test('invalid events are dead-lettered with the reason, never handled', async () => {
      const owner = uniqueName('dave')
      await system.publish({ ...mediaEvent(owner, 'ready'), version: 3 })
      await system.publish(mediaEvent(owner, 'ready', { status: 'converting' }))
      await system.publish(mediaEvent('not an address', 'ready'))
      await system.publish({ hello: 'world' })
      const dead: Array<{ headers: Record<string, unknown> }> = []
      await eventually(async () => {
        dead.push(...(await drainQueue(system.brokerUrl, DEAD)))
        return dead.length === 4
      }, 'four dead letters')
      assert.deepEqual(dead.map((m) => m.headers['x-convoy-death-reason']).sort(), [
        'invalid body: / must have required properties version, ownerId, ownerName, media',
        'invalid body: /version must be equal to constant',
        'invalid body: media status converting is neither ready nor failed',
        'invalid body: owner is not a username an email can be sent to',
      ])
      assert.equal(mailsTo(`${owner}@example.test`).length, 0)
      assert.deepEqual(await system.get<Notification[]>('/notifications', owner), [])
    })
  })

  describe(`notifier on ${target.name}, SMTP down at first`, () => {
    let port: number
    let system: System
    let catcher: MailCatcher | undefined
    before(async () => {
      ;[port] = (await freePorts(1)) as [number]
      system = await startSystem(target, { replicas: 1, smtpPort: port, maxAttempts: 2 })
    })
    after(async () => {
      await system?.close()
      await catcher?.close()
    })

    test('the event waits, unacknowledged and not dead, then exactly one email once SMTP is up', async () => {
      const owner = uniqueName('erin')
      await system.publish(mediaEvent(owner, 'ready'))
      await eventually(
        async () => (await system.metric('emails_sent_total', { outcome: 'failed' })) === 1,
        'a failed send',
      )
      assert.equal((await system.pushesTo(owner)).length, 1, 'pushed without waiting for mail')
      // Two attempts, 20 ms apart, would long be used up: the transport is checked instead.
      await eventually(
        async () => (await system.metric('mail_transport_checks_total', { outcome: 'down' })) >= 3,
        'the transport checked three times',
      )
      assert.equal(
        await system.metric('emails_sent_total', { outcome: 'failed' }),
        1,
        'no send until it answers',
      )
      assert.equal(await system.acked(), 0)
      assert.deepEqual(await drainQueue(system.brokerUrl, DEAD), [], 'nothing dead-lettered')
      if (system.brokerUrl.startsWith('amqp')) {
        // RabbitMQ's own counts lag a few seconds behind.
        await eventually(
          async () => (await queueCounts(system.brokerUrl, NOTIFICATION_QUEUE)).unacked === 1,
          'held unacknowledged at RabbitMQ',
          15_000,
        )
      }
      const [waiting] = await system.get<Email[]>('/notifications/emails', owner)
      assert.ok(waiting && waiting.sentAt === undefined, 'listed as not sent yet')

      catcher = await startMailCatcher({ port })
      await eventually(async () => (await system.acked()) === 1, 'acknowledged once sent', 20_000)
      assert.equal(catcher.mails.length, 1, 'exactly one email')
      assert.deepEqual(catcher.mails[0]!.envelope.to, [`${owner}@example.test`])
      assert.equal(await system.metric('emails_sent_total', { outcome: 'sent' }), 1)
      assert.equal((await system.pushesTo(owner)).length, 1, 'still one push')
      assert.deepEqual(await drainQueue(system.brokerUrl, DEAD), [])
      const [sent] = await system.get<Email[]>('/notifications/emails', owner)
      assert.ok(sent?.sentAt)
    })
  })
}

describe('notifier with an outbox (embedded)', () => {
  let dir: string
  let system: System
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-outbox-'))
    system = await startSystem(targets[0]!, { replicas: 2, outboxDir: path.join(dir, 'outbox') })
  })
  after(async () => {
    await system?.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('writes one .eml per job and kind, whatever arrives twice', async () => {
    const owner = uniqueName('frank')
    const ready = mediaEvent(owner, 'ready')
    const failed = mediaEvent(owner, 'failed')
    await system.deliver([[ready], [ready], [failed], [failed, randomUUID()]])
    const notifications = await system.get<Notification[]>('/notifications', owner)
    assert.equal(notifications.length, 2)
    assert.deepEqual(
      (await readdir(path.join(dir, 'outbox'))).sort(),
      notifications.map((n) => `${n.id}.eml`).sort(),
    )
    const readyNotification = notifications.find((n) => n.mediaId === ready.media.id)!
    const mail = parseMail(await readFile(path.join(dir, 'outbox', `${readyNotification.id}.eml`), 'utf8'))
    assert.equal(mail.headers['to'], `${owner}@example.test`)
    assert.equal(mail.headers['subject'], readyNotification.title)
    assert.equal(mail.headers['message-id'], `<media-${ready.media.id}-ready@convoy>`)
    assert.equal(mail.text, readyNotification.body)
  })
})
