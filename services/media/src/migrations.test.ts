import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { openDatabase, sql } from '@convoy/platform/db'
import { databaseTargets, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'

/** The migrations up to and including `last`, as a database stood before the later ones. */
const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last))

for (const target of databaseTargets) {
  describe(`media's migrations on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => {
      env = await target.create()
    })
    after(() => env.drop())

    test('jobs stored before names were cleaned lose their invisible format characters', async () => {
      const id = randomUUID()
      const old = await openDatabase<Tables>({
        url: env.url,
        log: testLogger(),
        migrations: upTo('0001_jobs'),
      })
      await sql`INSERT INTO jobs (id, owner, filename, size, status, token)
        VALUES (${id}, 'ann', ${'incident\u202e4pm.exe\u200b.mp4'}, 1, 'ready', 'token')`.execute(old.db)
      await old.close()

      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        const row = await database.db
          .selectFrom('jobs')
          .select('filename')
          .where('id', '=', id)
          .executeTakeFirst()
        assert.equal(row?.filename, 'incident4pm.exe.mp4')
      } finally {
        await database.close()
      }
    })
  })
}
