/**
 * notification's fleet side: every fleet event becomes one fleet alert for the admins and
 * dispatchers, pushed to their live feeds, and one email to each user auth names, whatever
 * arrives twice, whoever crashed, and whether auth answers at first or not.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { MAY_RECEIVE_FLEET_ALERTS, type Email, type FleetEvent, type Notification } from '@convoy/contracts'
import { deadLetterQueue } from '@convoy/platform/messaging'
import {
  drainQueue,
  eventually,
  queueCounts,
  startMailCatcher,
  uniqueName,
  type MailCatcher,
} from '@convoy/platform/testing'
import { alertDraft, alertEmails } from './alert-content.ts'
import { FLEET_QUEUE } from './notify.ts'
import {
  authStandIn,
  CONTENT,
  FROM,
  geofenceEvent,
  recipient,
  startSystem,
  targets,
  type AuthStandIn,
  type System,
} from './test-support.ts'

const DEAD = deadLetterQueue(FLEET_QUEUE)
const address = (username: string) => `${username}@example.test`

for (const target of targets) {
  describe(`fleet alerts on ${target.name}`, () => {
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
    const mailsTo = (username: string) =>
      catcher.mails.filter((mail) => mail.envelope.to.includes(address(username)))
    /** The fleet alerts of `event` in a user's list. */
    const listed = async (event: FleetEvent, username: string, role: 'admin' | 'dispatcher' | 'viewer') =>
      (await system.get<Notification[]>('/notifications', username, role)).filter((n) => n.id === event.id)

    test('an event: one alert listed for an admin and a dispatcher but not a viewer, pushed once to their roles, one email to each opted-in recipient', async () => {
      const [optedIn, optedInAdmin, other, otherAdmin, viewer] = ['dee', 'ada', 'dan', 'abe', 'vic'].map(
        uniqueName,
      )
      system.auth.recipients = [recipient(optedInAdmin!, 'admin'), recipient(optedIn!)]
      const event = geofenceEvent('Van 12', 'Depot North')
      await system.deliverFleetEvents([[event]])

      const [pushed, ...morePushes] = await system.alertPushes(event.id)
      assert.ok(pushed && morePushes.length === 0, 'pushed once')
      assert.equal(pushed.messageId, event.id, "the push's message id is the alert's, the event's")
      assert.deepEqual(pushed.body.roles, MAY_RECEIVE_FLEET_ALERTS)
      const { notification } = pushed.body
      assert.deepEqual(
        { ...notification, createdAt: undefined },
        {
          id: event.id,
          kind: 'geofence.entered',
          title: 'Van 12 entered Depot North',
          body: alertDraft(event, CONTENT).body,
          fleetEvent: event,
          createdAt: undefined,
        },
      )
      assert.match(
        notification.body,
        /^Van 12 entered Depot North\.\nWhen: 2026-03-01 08:00:20 UTC\nWhere: 53\.38000, -1\.47000\n/,
      )
      assert.match(notification.body, /https:\/\/convoy\.example\.test\/#\/$/)

      for (const [username, role] of [
        [optedIn, 'dispatcher'],
        [other, 'dispatcher'],
        [optedInAdmin, 'admin'],
        [otherAdmin, 'admin'],
      ] as const)
        assert.deepEqual(
          await listed(event, username!, role),
          [notification],
          `listed for ${role} ${username}`,
        )
      assert.deepEqual(await system.get('/notifications', viewer!, 'viewer'), [], 'nothing for a viewer')

      for (const username of [optedIn!, optedInAdmin!]) {
        const [mail, ...more] = mailsTo(username)
        assert.ok(mail && more.length === 0, `exactly one email to ${username}`)
        assert.equal(mail.headers['from'], FROM)
        assert.equal(mail.headers['subject'], 'Van 12 entered Depot North')
        assert.equal(mail.headers['message-id'], `<fleet-${event.id}-${recipient(username).userId}@convoy>`)
        assert.equal(
          mail.text,
          `${notification.body}\n\nYou get this email because you turned on fleet alerts in your preferences.`,
        )
        const emails = await system.get<Email[]>('/notifications/emails', username)
        assert.deepEqual(
          emails.map(({ kind, to, subject, sentAt }) => ({ kind, to, subject, sent: sentAt !== undefined })),
          [{ kind: 'geofence.entered', to: address(username), subject: mail.headers['subject'], sent: true }],
        )
      }
      for (const username of [other!, otherAdmin!, viewer!]) {
        assert.deepEqual(mailsTo(username), [], `no email to ${username}`)
        assert.deepEqual(await system.get('/notifications/emails', username), [])
      }
      assert.equal(await system.metric('notifications_total', { kind: 'geofence.entered' }), 1)
    })

    test('the same event again and again, at both replicas at once: no second alert, push or email, even to one who opted in since', async () => {
      const [first, since] = ['fay', 'sid'].map(uniqueName) as [string, string]
      system.auth.recipients = [recipient(first)]
      const event = geofenceEvent('City Truck', 'Yard', 'geofence.exited')
      await system.deliverFleetEvents([[event]])
      // Redelivered after a crash, or published again by fleet-events' sweep: the same id.
      system.auth.recipients = [recipient(first), recipient(since)]
      await system.deliverFleetEvents([[event], [event], [event, 'another message id'], [event]])

      assert.equal((await system.alertPushes(event.id)).length, 1, 'one push')
      assert.equal((await listed(event, first, 'dispatcher')).length, 1, 'one alert listed')
      assert.equal(mailsTo(first).length, 1, 'one email')
      assert.equal(
        mailsTo(since).length,
        0,
        'whom auth named when the alert was told: the recipients are settled once',
      )
      const rows = await system.database.db
        .selectFrom('emails')
        .select(['attempts', 'sent_at'])
        .where('notification_id', '=', event.id)
        .execute()
      assert.deepEqual(
        rows.map((row) => [row.attempts, row.sent_at !== null]),
        [[1, true]],
        'sent on the first attempt, never tried again',
      )
      assert.equal(await system.metric('notifications_total', { kind: 'geofence.exited' }), 1)
    })

    test('a crash after some of its emails went out: the others go, once each, and nobody gets a second', async () => {
      const [sent, unsent] = ['sam', 'una'].map(uniqueName) as [string, string]
      const event = geofenceEvent('Van 3', 'Depot South')
      // A replica recorded the alert, settled its recipients, sent one email and died.
      const draft = alertDraft(event, CONTENT)
      await system.store.record(draft)
      const settled = alertEmails(
        { ...draft, id: event.id, createdAt: new Date().toISOString() },
        [recipient(sent), recipient(unsent)],
        CONTENT,
      )
      const pending = await system.store.settleRecipients(event.id, settled.emails)
      await system.store.markSent(pending.find((email) => email.to === address(sent))!.id)
      system.auth.recipients = []

      await system.deliverFleetEvents([[event]])
      assert.equal(mailsTo(sent).length, 0, 'sent before the crash: not again')
      assert.equal(mailsTo(unsent).length, 1, 'the one left: once')
      assert.equal((await system.alertPushes(event.id)).length, 1, 'pushed, since it was not before')
    })

    test('a recipient whose username cannot be an address is left out, with a log line; the others get theirs', async () => {
      const good = uniqueName('gus')
      const bad = `${uniqueName('x')}@a@b`
      system.auth.recipients = [recipient(bad), recipient(good)]
      const event = geofenceEvent('Van 4', 'Depot East')
      await system.deliverFleetEvents([[event]])
      assert.equal(mailsTo(good).length, 1)
      assert.ok(
        system.logs.some(
          (line) =>
            line.msg === 'fleet alert not emailed to usernames that are no address' &&
            line.notificationId === event.id &&
            JSON.stringify(line.usernames) === JSON.stringify([bad]),
        ),
      )
    })

    test('bad fleet events are dead-lettered with the reason and a log line, never handled', async () => {
      const event = geofenceEvent('Van 5', 'Depot West')
      const bad = [
        { ...event, kind: 'teleported' },
        { ...event, geofence: null },
        { ...event, id: 'not-a-uuid' },
        { ...event, kind: 'overspeed', geofence: null, details: { speedKmh: 104 } },
        { hello: 'world' },
      ]
      for (const [i, body] of bad.entries()) await system.publishFleetEvent(body, `bad-${i}-${event.id}`)
      const dead: Array<{ headers: Record<string, unknown> }> = []
      await eventually(async () => {
        dead.push(...(await drainQueue(system.brokerUrl, DEAD)))
        return dead.length === bad.length
      }, 'every bad event dead')
      // A union's first error names the reason: an overspeed without its details is no kind of event.
      assert.deepEqual(dead.map((message) => message.headers['x-convoy-death-reason']).sort(), [
        'invalid body: / must have required properties version, kind, id, vehicleName, time, lat, lng, geofence, details',
        'invalid body: /geofence must be object',
        'invalid body: /id must match format "uuid"',
        'invalid body: /kind must be equal to constant',
        'invalid body: /kind must be equal to constant',
      ])
      for (const i of bad.keys())
        assert.ok(
          system.logs.some(
            (line) => line.msg === 'message dead-lettered' && line.messageId === `bad-${i}-${event.id}`,
          ),
          `a log line for bad event ${i}`,
        )
      assert.deepEqual(await listed(event, uniqueName('dot'), 'dispatcher'), [], 'no alert')
      assert.equal((await system.alertPushes(event.id)).length, 0, 'no push')
    })
  })

  describe(`fleet alerts on ${target.name}, auth down at first`, () => {
    let catcher: MailCatcher
    let auth: AuthStandIn
    let system: System
    before(async () => {
      catcher = await startMailCatcher()
      auth = await authStandIn({ listening: false })
      system = await startSystem(target, { replicas: 1, smtpPort: catcher.port, maxAttempts: 2, auth })
    })
    after(async () => {
      await system?.close()
      await auth?.close()
      await catcher?.close()
    })

    test('the alert is listed and pushed at once; its emails wait, unacknowledged and not dead, and go once each when auth answers', async () => {
      const dispatcher = uniqueName('dora')
      auth.recipients = [recipient(dispatcher)]
      const event = geofenceEvent('Van 6', 'Depot North')
      await system.publishFleetEvent(event)

      await eventually(async () => (await system.alertPushes(event.id)).length === 1, 'pushed without auth')
      assert.equal(
        (await system.get<Notification[]>('/notifications', uniqueName('dirk'))).filter(
          (n) => n.id === event.id,
        ).length,
        1,
        'listed without auth',
      )
      // Two attempts, 20 ms apart, would long be used up: auth is checked instead.
      await eventually(
        async () => (await system.metric('alert_recipients_checks_total', { outcome: 'down' })) >= 3,
        'auth checked three times',
      )
      assert.equal(await system.acked(FLEET_QUEUE), 0)
      assert.deepEqual(await drainQueue(system.brokerUrl, DEAD), [], 'nothing dead-lettered')
      assert.ok(
        system.logs.some(
          (line) => line.msg === "auth's alert recipients failed; checking it until it answers",
        ),
      )
      if (system.brokerUrl.startsWith('amqp')) {
        // RabbitMQ's own counts lag a few seconds behind.
        await eventually(
          async () => (await queueCounts(system.brokerUrl, FLEET_QUEUE)).unacked === 1,
          'held unacknowledged at RabbitMQ',
          15_000,
        )
      }
      assert.equal(catcher.mails.length, 0, 'no email yet')

      await auth.listen()
      await eventually(
        async () => (await system.acked(FLEET_QUEUE)) === 1,
        'acknowledged once mailed',
        20_000,
      )
      assert.deepEqual(
        catcher.mails.map((mail) => [mail.envelope.to, mail.headers['subject']]),
        [[[address(dispatcher)], 'Van 6 entered Depot North']],
        'exactly one email',
      )
      assert.equal((await system.alertPushes(event.id)).length, 1, 'still one push')
      assert.deepEqual(await drainQueue(system.brokerUrl, DEAD), [])
    })
  })
}
