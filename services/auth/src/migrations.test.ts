import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { legacyUserId } from '@convoy/access'
import { openDatabase, sql } from '@convoy/platform/db'
import { databaseTargets, migrationsUpTo, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { authStore } from './store.ts'

for (const target of databaseTargets) {
  describe(`auth's migrations on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => {
      env = await target.create()
    })
    after(() => env.drop())

    test('users from before ids get the id every service computes from their name, and keep their sessions', async () => {
      const old = await openDatabase<Tables>({
        url: env.url,
        log: testLogger(),
        migrations: migrationsUpTo(migrations, '0001_users_tokens_keys'),
      })
      await sql`INSERT INTO users (username, password_hash, role) VALUES ('alice', 'hash', 'dispatcher')`.execute(
        old.db,
      )
      await sql`INSERT INTO refresh_tokens (token_hash, family, username, expires_at)
        VALUES ('a-hash', gen_random_uuid(), 'alice', now() + interval '1 day')`.execute(old.db)
      await old.close()

      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        const store = authStore(database.db)
        const alice = await store.findUser('alice')
        assert.equal(alice?.id, legacyUserId('alice'))
        assert.equal(alice?.generation, 1)
        const token = await database.db
          .selectFrom('refresh_tokens')
          .select('user_id')
          .where('token_hash', '=', 'a-hash')
          .executeTakeFirst()
        assert.equal(token?.user_id, alice?.id, 'her session is still hers')
        const bob = await store.createUser({
          username: 'bob',
          passwordHash: 'hash',
          adminGrade: false,
          role: 'viewer',
        })
        assert.ok(bob && bob.id !== legacyUserId('bob'), 'a new user gets a random id')
      } finally {
        await database.close()
      }
    })
  })
}
