import { legacyUserId } from '@convoy/access'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { Email, Notification } from '@convoy/contracts'
import { openDatabase, type Database } from '@convoy/platform/db'
import { databaseTargets, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp, LIST_LIMIT } from './app.ts'
import { draftFor } from './content.ts'
import { migrations, type Tables } from './migrations.ts'
import { notificationStore } from './store.ts'

const settings = { publicUrl: 'http://localhost:8080', mailDomain: 'example.test' }

for (const target of databaseTargets) {
  describe(`notification HTTP API on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let database: Database<Tables>
    let app: ReturnType<typeof buildApp>
    let issuer: TestIssuer

    /** Records a notification for `owner`, created at minute `minute` of a fixed hour. */
    async function record(owner: string, minute: number, status: 'ready' | 'failed' = 'ready') {
      const store = notificationStore(database.db)
      const mediaId = randomUUID()
      const filename = `trip-${minute}.mp4`
      const media = { id: mediaId, filename, size: 1, status, createdAt: '', updatedAt: '' }
      await store.record(
        draftFor({ version: 2, ownerId: legacyUserId(owner), ownerName: owner, media }, settings),
      )
      const createdAt = new Date(Date.UTC(2026, 0, 1, 12, minute))
      await database.db
        .updateTable('notifications')
        .set({ created_at: createdAt })
        .where('media_id', '=', mediaId)
        .execute()
      return { mediaId, createdAt: createdAt.toISOString(), filename }
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

    const get = async (url: string, username?: string) =>
      app.inject({
        method: 'GET',
        url,
        headers: username ? { authorization: `Bearer ${await issuer.token({ user: username })}` } : {},
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
      const [sentId] = await database.db
        .selectFrom('notifications')
        .select('id')
        .where('media_id', '=', older.mediaId)
        .execute()
      await notificationStore(database.db).markSent(sentId!.id)

      const emails = (await get('/notifications/emails', 'carol')).json<Email[]>()
      assert.deepEqual(
        emails.map((e) => [e.to, e.subject, e.sentAt !== undefined]),
        [
          ['carol@example.test', `${newer.filename} could not be converted`, false],
          ['carol@example.test', `Your MP3 of ${older.filename} is ready`, true],
        ],
      )
      assert.equal(emails[1]!.id, sentId!.id, 'an email is named by its notification')
      assert.match(emails[1]!.text, /http:\/\/localhost:8080\/#\/uploads/)
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
