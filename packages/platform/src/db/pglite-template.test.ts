import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { testLogger } from '../testing/index.ts'
import { openDatabase, sql, type Migration } from './index.ts'

// This file's own temporary folder, as on a machine that never ran Convoy (read when first needed).
const machineTmp = await mkdtemp(path.join(tmpdir(), 'convoy-template-test-'))
process.env.TMPDIR = machineTmp
after(() => rm(machineTmp, { recursive: true, force: true }))

const migrations: Record<string, Migration> = {
  '0001_notes': {
    async up(db) {
      await sql`CREATE TABLE notes (text text NOT NULL)`.execute(db)
    },
  },
}

test('new embedded databases start from one copy of a fresh one, each its own, and keep their data', async () => {
  const open = (dir: string) =>
    openDatabase<{ notes: { text: string } }>({
      url: `pglite://${path.join(machineTmp, dir)}`,
      log: testLogger(),
      migrations,
    })
  const [first, second] = [await open('first'), await open('second')]
  await first.db.insertInto('notes').values({ text: 'only in the first' }).execute()
  assert.deepEqual(await second.db.selectFrom('notes').selectAll().execute(), [])
  // A service never creates a database: the copy holds the one it uses, and nothing else.
  const { rows } = await sql<{ datname: string }>`SELECT datname FROM pg_database`.execute(second.db)
  assert.deepEqual(rows, [{ datname: 'postgres' }])
  await Promise.all([first.close(), second.close()])
  const copies = (await readdir(machineTmp)).filter((name) => name.endsWith('.tar'))
  assert.equal(copies.length, 1, 'one copy on the machine')
  assert.match(copies[0]!, /^convoy-pglite-\d+\.\d+\.\d+\.tar$/)

  const reopened = await open('first')
  assert.deepEqual(await reopened.db.selectFrom('notes').selectAll().execute(), [
    { text: 'only in the first' },
  ])
  await reopened.close()
})
