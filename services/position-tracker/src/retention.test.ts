import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openDatabase, sql, type Database } from '@convoy/platform/db'
import { createLogger } from '@convoy/platform/log'
import { databaseTargets, eventually } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository } from './repository.ts'
import { startRetention } from './retention.ts'

const DAY_MS = 86_400_000

for (const target of databaseTargets) {
  describe(`retention on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let database: Database<Tables>
    before(async () => {
      env = await target.create()
      database = await openDatabase<Tables>({
        url: env.url,
        log: createLogger({ service: 'test', level: 'silent' }),
        migrations,
      })
    })
    after(async () => {
      await database.close()
      await env.drop()
    })

    test('the sweep deletes every position older than the retention period, chunk after chunk, and nothing else', async () => {
      const repository = positionsRepository(database.db)
      const now = Date.now()
      // Two and a half chunks of positions 40 days old, then three recent reports.
      await sql`INSERT INTO positions (vehicle_name, time, lat, lng)
        SELECT 'Old Van', ${new Date(now - 40 * DAY_MS)}::timestamptz + i * interval '1 second', 53, -1.5
        FROM generate_series(1, 12500) AS i`.execute(database.db)
      await repository.store(
        [3, 2, 1].map((minutes) => ({
          vehicle: 'Old Van',
          lat: 53.001,
          lng: -1.5,
          timestamp: new Date(now - minutes * 60_000).toISOString(),
        })),
      )
      const lines: Array<{ msg: string; deleted?: number }> = []
      const log = createLogger({
        service: 'test',
        level: 'info',
        destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[0]) },
      })
      const sweep = startRetention({ repository, log, days: 30, sweepSeconds: 0.05 })
      try {
        await eventually(() => lines.some((line) => line.msg === 'old positions deleted'), 'a sweep')
      } finally {
        await sweep.close()
      }
      assert.deepEqual(
        lines.filter((line) => line.msg === 'old positions deleted').map((line) => line.deleted),
        [12_500],
      )
      const history = await repository.history('Old Van', { from: new Date(0), to: new Date(), limit: 100 })
      assert.equal(history.length, 3)
      assert.equal((await repository.find('Old Van'))?.lat, 53.001, 'the latest state stays')
    })
  })
}
