import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openDatabase, sql } from '@convoy/platform/db'
import { databaseTargets, migrationsUpTo, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository } from './repository.ts'

for (const target of databaseTargets) {
  describe(`the tracker's migrations on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    before(async () => {
      env = await target.create()
    })
    after(() => env.drop())

    test('history and latest states stored under the first names are read, and extended, under the new ones', async () => {
      const old = await openDatabase({
        url: env.url,
        log: testLogger(),
        migrations: migrationsUpTo(migrations, '0001_positions_and_vehicles'),
      })
      await sql`INSERT INTO positions (vehicle, ts, lat, lng)
        VALUES ('Van', '2026-03-01T12:00:00Z', 53, -1.5), ('Van', '2026-03-01T12:00:10Z', 53.0009, -1.5)`.execute(
        old.db,
      )
      await sql`INSERT INTO vehicles (name, lat, lng, speed_kmh, heading, ts)
        VALUES ('Van', 53.0009, -1.5, 36, 0, '2026-03-01T12:00:10Z')`.execute(old.db)
      await old.close()

      const database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      try {
        const repository = positionsRepository(database.db)
        const range = {
          from: new Date('2026-03-01T00:00:00Z'),
          to: new Date('2026-03-02T00:00:00Z'),
          limit: 10,
        }
        assert.deepEqual(
          (await repository.history('Van', range)).map((position) => position.timestamp),
          ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:10.000Z'],
        )
        // The next report moves on from the latest state stored before: 100 m north in 10 s.
        const { changed } = await repository.store([
          { vehicle: 'Van', lat: 53.0018, lng: -1.5, timestamp: '2026-03-01T12:00:20Z' },
        ])
        assert.deepEqual(
          changed.map(({ name, speedKmh, heading, timestamp }) => ({ name, speedKmh, heading, timestamp })),
          [{ name: 'Van', speedKmh: 36, heading: 0, timestamp: '2026-03-01T12:00:20.000Z' }],
        )
      } finally {
        await database.close()
      }
    })
  })
}
