import { legacyUserId } from '@convoy/access'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { Email, Notification, Role } from '@convoy/contracts'
import { openDatabase, type Database } from '@convoy/platform/db'
import { databaseTargets, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp, LIST_LIMIT } from './app.ts'
import { alertDraft } from './alert-content.ts'
import { draftFor } from './content.ts'
import { migrations, type Tables } from './migrations.ts'
import { notificationStore, type Draft } from './store.ts'
import { geofenceEvent } from './test-support.ts'

const settings = { publicUrl: 'http://localhost:8080', mailDomain: 'example.test' }

for (const target of databaseTargets) {
  describe(`notification HTTP API on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let database: Database<Tables>
    let app: ReturnType<typeof buildApp>
    let issuer: TestIssuer

    /** Records `draft`, as created at minute `minute` of a fixed hour; its id. */
    async function recordAt(draft: Draft, minute: number) {
      const { id } = await notificationStore(database.db).record(draft)
      const createdAt = new Date(Date.UTC(2026, 0, 1, 12, minute))
      await database.db
        .updateTable('notifications')
        .set({ created_at: createdAt })
        .where('id', '=', id)
        .execute()
      await database.db
        .updateTable('emails')
        .set({ created_at: createdAt })
        .where('notification_id', '=', id)
        .execute()
      return { id, createdAt: createdAt.toISOString() }
    }

    /** Records a notification for `owner`, created at minute `minute` of a fixed hour. */
    async function record(owner: string, minute: number, status: 'ready' | 'failed' = 'ready') {
      const mediaId = randomUUID()
      const filename = `trip-${minute}.mp4`
      const media = { id: mediaId, filename, size: 1, status, createdAt: '', updatedAt: '' }
      const draft = draftFor({ version: 2, ownerId: legacyUserId(owner), ownerName: owner, media }, settings)
      return { mediaId, filename, ...(await recordAt(draft, minute)) }
    }

    before(async () => {
      env = await target.create()
      database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      issuer = await testIssuer()
      app = buildApp({
        service: 'notification',
        log: testLogger(),
        store: notificationStore(database.db),
        verifier: issuer.verifier,
      })
    })
    after(async () => {
      await app.close()
      await database.close()
      await env.drop()
    })

    /** GET `url` as `username`, a viewer unless `role` says otherwise; no token without a username. */
    const get = async (url: string, username?: string, role?: Role) =>
      app.inject({
        method: 'GET',
        url,
        headers: username ? { authorization: `Bearer ${await issuer.token({ user: username, role })}` } : {},
      })

    test('every route needs a valid token', async () => {
      for (const url of ['/notifications', '/notifications/emails']) {
        const response = await get(url)
        assert.equal(response.statusCode, 401)
        assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
        assert.match(response.json<{ detail: string }>().detail, /needs an access token/)
        const expired = await app.inject({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${await issuer.token({ ttlSeconds: -120 })}` },
        })
        assert.equal(expired.statusCode, 401)
      }
    })

    test("lists the caller's notifications, newest first, at most 50; never another user's", async () => {
      const recorded = []
      for (let minute = 0; minute < LIST_LIMIT + 2; minute++) recorded.push(await record('alice', minute))
      const bobs = await record('bob@elsewhere.org', 30, 'failed')

      const response = await get('/notifications', 'alice')
      assert.equal(response.statusCode, 200)
      const listed = response.json<Notification[]>()
      assert.equal(listed.length, LIST_LIMIT)
      assert.deepEqual(
        listed.map((n) => [n.mediaId, n.createdAt]),
        recorded
          .reverse()
          .slice(0, LIST_LIMIT)
          .map((r) => [r.mediaId, r.createdAt]),
      )
      assert.deepEqual(Object.keys(listed[0]!).sort(), [
        'body',
        'createdAt',
        'id',
        'kind',
        'mediaId',
        'title',
      ])
      assert.equal(listed[0]!.title, `Your MP3 of trip-${LIST_LIMIT + 1}.mp4 is ready`)

      const theirs = (await get('/notifications', 'bob@elsewhere.org')).json<Notification[]>()
      assert.deepEqual(
        theirs.map((n) => [n.mediaId, n.kind, n.title]),
        [[bobs.mediaId, 'media.failed', 'trip-30.mp4 could not be converted']],
      )
      assert.deepEqual((await get('/notifications', 'mallory')).json(), [])
    })

    test("lists the caller's emails, newest first, sent or waiting", async () => {
      const older = await record('carol', 1)
      const newer = await record('carol', 2, 'failed')
      await record('dave', 3)
      const [sent] = await database.db
        .selectFrom('emails')
        .select('id')
        .where('notification_id', '=', older.id)
        .execute()
      await notificationStore(database.db).markSent(sent!.id)

      const emails = (await get('/notifications/emails', 'carol')).json<Email[]>()
      assert.deepEqual(
        emails.map((e) => [e.to, e.subject, e.sentAt !== undefined]),
        [
          ['carol@example.test', `${newer.filename} could not be converted`, false],
          ['carol@example.test', `Your MP3 of ${older.filename} is ready`, true],
        ],
      )
      assert.equal(emails[1]!.id, sent!.id)
      assert.deepEqual(
        emails.map((email) => email.kind),
        ['media.failed', 'media.ready'],
      )
      assert.match(emails[1]!.text, /http:\/\/localhost:8080\/#\/uploads/)
    })

    test("an admin's and a dispatcher's list has the fleet alerts beside their own, newest first; a viewer's has none", async () => {
      const earlier = geofenceEvent('Van 12', 'Depot North')
      const later = geofenceEvent('City Truck', 'Depot North', 'geofence.exited')
      await recordAt(alertDraft(earlier, settings), 9)
      const own = await record('erin', 10)
      await recordAt(alertDraft(later, settings), 11)

      const ids = async (username: string, role: Role) =>
        (await get('/notifications', username, role)).json<Notification[]>().map((n) => n.id)
      assert.deepEqual(await ids('erin', 'dispatcher'), [later.id, own.id, earlier.id])
      assert.deepEqual(await ids('frank', 'admin'), [later.id, earlier.id], 'an admin with none of their own')
      assert.deepEqual(await ids('erin', 'viewer'), [own.id], 'as a viewer, their own alone')
      assert.deepEqual(await ids('gina', 'viewer'), [])

      const [alert] = (await get('/notifications', 'frank', 'admin')).json<Notification[]>()
      assert.deepEqual(alert, {
        id: later.id,
        kind: 'geofence.exited',
        title: 'City Truck left Depot North',
        body: alertDraft(later, settings).body,
        fleetEvent: later,
        createdAt: new Date(Date.UTC(2026, 0, 1, 12, 11)).toISOString(),
      })
      assert.deepEqual(
        (await get('/notifications/emails', 'frank', 'admin')).json(),
        [],
        'no email of its own',
      )
    })

    test('counts its requests by route in its metrics (served on the ops port)', async () => {
      await get('/notifications', 'alice')
      assert.match(
        await app.metricsRegistry.metrics(),
        /http_server_request_duration_seconds_count\{[^}]*route="\/notifications"/,
      )
    })
  })
}
