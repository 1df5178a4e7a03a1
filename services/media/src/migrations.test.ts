import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { legacyUserId } from '@convoy/access'
import { openDatabase, sql } from '@convoy/platform/db'
import { databaseTargets, migrationsUpTo, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'

/** The migrations up to and including `last`, as a database stood before the later ones. */
for (const target of databaseTargets) {
  describe(`media's migrations on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => {
      env = await target.create()
    })
    after(() => env.drop())

    test('jobs from before lose the invisible characters of their names, and belong to their owner by id', async () => {
      const id = randomUUID()
      const old = await openDatabase<Tables>({
        url: env.url,
        log: testLogger(),
        migrations: migrationsUpTo(migrations, '0001_jobs'),
      })
      await sql`INSERT INTO jobs (id, owner, filename, size, status, token)
        VALUES (${id}, 'ann', ${'incident\u202e4pm.exe\u200b.mp4'}, 1, 'ready', 'token')`.execute(old.db)
      await old.close()

      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        const row = await database.db
          .selectFrom('jobs')
          .select(['filename', 'owner_id', 'owner_name'])
          .where('id', '=', id)
          .executeTakeFirst()
        assert.equal(row?.filename, 'incident4pm.exe.mp4')
        assert.deepEqual([row?.owner_id, row?.owner_name], [legacyUserId('ann'), 'ann'], "ann's, by her id")
      } finally {
        await database.close()
      }
    })
  })
}
