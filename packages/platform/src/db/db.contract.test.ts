import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { databaseTargets, testLogger } from '../testing/index.ts'
import { openDatabase, sql, type Migration } from './index.ts'

interface Tables {
  counters: { name: string; value: number }
}

const migrations: Record<string, Migration> = {
  '0001_counters': {
    async up(db) {
      await sql`CREATE TABLE counters (name text PRIMARY KEY, value integer NOT NULL)`.execute(db)
      await sql`INSERT INTO counters VALUES ('a', 0)`.execute(db)
    },
  },
}

for (const target of databaseTargets) {
  describe(`database contract: ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => (env = await target.create()))
    after(() => env.drop())

    test('migrates once, answers ping, and re-opening applies nothing twice', async () => {
      const first = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      assert.equal(await first.ping(), true)
      await first.close()
      const second = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      const rows = await second.db.selectFrom('counters').selectAll().execute()
      assert.deepEqual(rows, [{ name: 'a', value: 0 }])
      await second.close()
    })

    test('concurrent transactions never interleave (increments are not lost)', async () => {
      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        await database.db.updateTable('counters').set({ value: 0 }).execute()
        await Promise.all(
          Array.from({ length: 20 }, () =>
            database.db.transaction().execute(async (trx) => {
              const row = await trx
                .selectFrom('counters')
                .select('value')
                .where('name', '=', 'a')
                .forUpdate()
                .executeTakeFirstOrThrow()
              await trx
                .updateTable('counters')
                .set({ value: row.value + 1 })
                .where('name', '=', 'a')
                .execute()
            }),
          ),
        )
        const row = await database.db.selectFrom('counters').select('value').executeTakeFirstOrThrow()
        assert.equal(row.value, 20)
      } finally {
        await database.close()
      }
    })

    test('a failed transaction rolls back and leaves the database usable', async () => {
      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        await assert.rejects(
          database.db.transaction().execute(async (trx) => {
            await trx.insertInto('counters').values({ name: 'b', value: 1 }).execute()
            await trx.insertInto('counters').values({ name: 'b', value: 2 }).execute()
          }),
          /duplicate key/,
        )
        assert.equal(
          await database.db.selectFrom('counters').where('name', '=', 'b').selectAll().executeTakeFirst(),
          undefined,
        )
        assert.equal(await database.ping(), true)
      } finally {
        await database.close()
      }
    })
  })
}
