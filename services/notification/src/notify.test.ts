/** notification's media side: a job's owner told once, in the app and by email, whatever arrives twice. */
import { legacyUserId } from '@convoy/access'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { mediaFailed, mediaReady, type Email, type Notification } from '@convoy/contracts'
import { deadLetterQueue } from '@convoy/platform/messaging'
import {
  drainQueue,
  eventually,
  freePorts,
  parseMail,
  queueCounts,
  startMailCatcher,
  uniqueName,
  type MailCatcher,
} from '@convoy/platform/testing'
import { draftFor } from './content.ts'
import { MEDIA_QUEUE } from './notify.ts'
import { CONTENT, FROM, mediaEvent, startSystem, targets, type System } from './test-support.ts'

const DEAD = deadLetterQueue(MEDIA_QUEUE)

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
        { ...emails[0], id: undefined, sentAt: undefined },
        {
          id: undefined,
          kind: mediaReady.routingKey,
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
      await system.store.record(draftFor(event, CONTENT))
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
          async () => (await queueCounts(system.brokerUrl, MEDIA_QUEUE)).unacked === 1,
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
    const emails = await system.get<Email[]>('/notifications/emails', owner)
    assert.deepEqual(
      (await readdir(path.join(dir, 'outbox'))).sort(),
      emails.map((email) => `${email.id}.eml`).sort(),
      'one file per email, named by its id',
    )
    const readyNotification = notifications.find((n) => n.mediaId === ready.media.id)!
    const readyEmail = emails.find((email) => email.kind === mediaReady.routingKey)!
    const mail = parseMail(await readFile(path.join(dir, 'outbox', `${readyEmail.id}.eml`), 'utf8'))
    assert.equal(mail.headers['to'], `${owner}@example.test`)
    assert.equal(mail.headers['subject'], readyNotification.title)
    assert.equal(mail.headers['message-id'], `<media-${ready.media.id}-ready@convoy>`)
    assert.equal(mail.text, readyNotification.body)
  })
})
