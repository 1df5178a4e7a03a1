import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { legacyUserId } from '@convoy/access'
import { openDatabase, sql } from '@convoy/platform/db'
import { databaseTargets, migrationsUpTo, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { notificationStore } from './store.ts'

for (const target of databaseTargets) {
  describe(`notification's migrations on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => {
      env = await target.create()
    })
    after(() => env.drop())

    test("notifications and emails from before belong to their owner's id", async () => {
      const id = randomUUID()
      const old = await openDatabase<Tables>({
        url: env.url,
        log: testLogger(),
        migrations: migrationsUpTo(migrations, '0001_notifications_and_emails'),
      })
      await sql`INSERT INTO notifications (id, owner, kind, media_id, title, body)
        VALUES (${id}, 'ann', 'media.ready', ${randomUUID()}, 'title', 'body')`.execute(old.db)
      await sql`INSERT INTO emails (notification_id, recipient, subject, text, message_id)
        VALUES (${id}, 'ann@example.test', 'title', 'body', '<m@convoy>')`.execute(old.db)
      await old.close()

      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        const store = notificationStore(database.db)
        const all = { fleetAlerts: true }
        assert.deepEqual(
          (await store.notifications(legacyUserId('ann'), all, 10)).map((n) => n.id),
          [id],
        )
        assert.deepEqual(
          (await store.emails(legacyUserId('ann'), 10)).map(({ sentAt: _, ...email }) => email),
          [{ id, kind: 'media.ready', to: 'ann@example.test', subject: 'title', text: 'body' }],
          'its email named as before (its outbox file), for its owner',
        )
        assert.deepEqual(await store.notifications(randomUUID(), all, 10), [], "nobody else's")
        assert.deepEqual(await store.emails(randomUUID(), 10), [], "nobody else's")
      } finally {
        await database.close()
      }
    })
  })
}
