import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openDatabase, type Database } from '@convoy/platform/db'
import { databaseTargets, testLogger } from '@convoy/platform/testing'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository, type PositionsRepository } from './repository.ts'

const NORTH_100M = 100 / 111_195
const report = (vehicle: string, seconds: number, northSteps: number) => ({
  vehicle,
  lat: 53 + northSteps * NORTH_100M,
  lng: -1.5,
  timestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString(),
})

for (const target of databaseTargets) {
  describe(`positions repository on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let database: Database<Tables>
    let repo: PositionsRepository

    before(async () => {
      env = await target.create()
      database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      repo = positionsRepository(database.db)
    })
    after(async () => {
      await database.close()
      await env.drop()
    })

    test('stores reports once and computes the latest speed and heading', async () => {
      await repo.store([report('Van', 0, 0), report('Van', 10, 1)])
      assert.deepEqual(
        await repo.store([report('Van', 10, 1)]),
        { inserted: 0, changed: [] },
        'a redelivery changes nothing',
      )
      assert.deepEqual(await repo.find('Van'), {
        name: 'Van',
        lat: 53 + NORTH_100M,
        lng: -1.5,
        speedKmh: 36,
        heading: 0,
        timestamp: '2026-01-01T12:00:10.000Z',
      })
      assert.equal((await repo.history('Van', { from: new Date(0), to: new Date(), limit: 100 })).length, 2)
    })

    test('a late report fills history without moving the latest state back', async () => {
      await repo.store([report('Bus', 0, 0), report('Bus', 20, 2)])
      const { inserted, changed } = await repo.store([report('Bus', 10, 1)])
      assert.equal(inserted, 1)
      assert.deepEqual(changed, [], 'latest state unchanged by an older report')
      const history = await repo.history('Bus', { from: new Date(0), to: new Date(), limit: 100 })
      assert.deepEqual(
        history.map((p) => [p.timestamp.slice(17, 19), p.speedKmh]),
        [
          ['00', 0],
          ['10', 36],
          ['20', 36],
        ],
      )
    })

    test('a late report older than the previous position leaves the latest speed alone', async () => {
      await repo.store([report('Lorry', 0, 0), report('Lorry', 10, 1), report('Lorry', 20, 2)])
      // Stamped before the position at 10 s, so the latest speed still comes from 10 s → 20 s.
      await repo.store([report('Lorry', 5, 1.5)])
      assert.equal((await repo.find('Lorry'))?.speedKmh, 36)
    })

    test('a report arriving before its predecessor still yields the right latest speed', async () => {
      await repo.store([report('Cab', 20, 4)])
      await repo.store([report('Cab', 10, 3)])
      assert.equal((await repo.find('Cab'))?.speedKmh, 36)
    })

    test('history honours from, to and limit and computes speed from the position before from', async () => {
      await repo.store([0, 10, 20, 30, 40].map((s, i) => report('Tram', s, i)))
      const from = new Date(Date.UTC(2026, 0, 1, 12, 0, 10))
      const to = new Date(Date.UTC(2026, 0, 1, 12, 0, 30))
      const history = await repo.history('Tram', { from, to, limit: 2 })
      assert.deepEqual(
        history.map((p) => [p.timestamp.slice(17, 19), p.speedKmh]),
        [
          ['10', 36],
          ['20', 36],
        ],
      )
    })

    test('a long history is read a page at a time, each row once, however fine its timestamps', async () => {
      // Reports a few hundred microseconds apart, so page boundaries fall inside a millisecond.
      const base = Date.UTC(2026, 1, 1, 8)
      const stamps = Array.from({ length: 25 }, (_, i) => {
        const micros = i * 400
        const ms = Math.floor(micros / 1000)
        return `${new Date(base + ms).toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`
      })
      await repo.store(
        stamps.map((timestamp, i) => ({ vehicle: 'Pager', lat: 53 + i * 1e-5, lng: -1.5, timestamp })),
      )
      const range = { from: new Date(base), to: new Date(base + 1000), limit: 23 }
      const pages: number[][] = []
      for await (const page of repo.historyPages('Pager', range, 10)) pages.push(page.map((p) => p.lat))
      assert.deepEqual(
        pages.map((page) => page.length),
        [10, 10, 3],
        'pages of 10, and the limit',
      )
      assert.deepEqual(
        pages.flat().map((lat) => Math.round((lat - 53) * 1e5)),
        Array.from({ length: 23 }, (_, i) => i),
        'every row once, in order',
      )
      assert.equal((await repo.history('Pager', range)).length, 23, 'the same, in one array')
    })

    test('a vehicle standing still keeps its heading', async () => {
      const east = (seconds: number, metres: number) => ({
        ...report('Taxi', seconds, 0),
        lng: -1.5 + metres / 67_000,
      })
      await repo.store([east(0, 0), east(10, 100)])
      assert.equal((await repo.find('Taxi'))?.heading, 90)
      await repo.store([east(20, 100)])
      assert.deepEqual([(await repo.find('Taxi'))?.speedKmh, (await repo.find('Taxi'))?.heading], [0, 90])
    })

    test('concurrent batches for one vehicle never move its latest state backwards', async () => {
      for (let round = 0; round < 40; round++) {
        const vehicle = `Race ${round}`
        await repo.store([report(vehicle, 0, 0)])
        // Two batches at once, the older position in one and the newer in the other (two replicas).
        await Promise.all([repo.store([report(vehicle, 10, 1)]), repo.store([report(vehicle, 20, 2)])])
        const latest = await repo.find(vehicle)
        assert.equal(latest?.timestamp, '2026-01-01T12:00:20.000Z', `round ${round}`)
        assert.equal(latest?.speedKmh, 36, `round ${round}: speed from the position just before`)
      }
    })

    test('concurrent first batches of a new vehicle both count', async () => {
      for (let round = 0; round < 20; round++) {
        const vehicle = `Newcomer ${round}`
        await Promise.all([repo.store([report(vehicle, 10, 1)]), repo.store([report(vehicle, 20, 2)])])
        const latest = await repo.find(vehicle)
        assert.equal(latest?.timestamp, '2026-01-01T12:00:20.000Z', `round ${round}`)
        assert.equal(latest?.speedKmh, 36, `round ${round}: the other batch's position is the previous one`)
      }
    })

    test('a batch holding several reports of a vehicle, shuffled, gives the speed of the last two', async () => {
      const { changed } = await repo.store([
        report('Coach', 20, 3),
        report('Coach', 0, 0),
        report('Coach', 10, 2),
      ])
      assert.deepEqual(
        changed.map((v) => [v.name, v.timestamp, v.speedKmh]),
        [['Coach', '2026-01-01T12:00:20.000Z', 36]],
      )
    })

    test('lists vehicles sorted by name; unknown is null', async () => {
      await repo.store([report('List C', 0, 0), report('List A', 0, 0), report('List B', 0, 0)])
      assert.deepEqual(
        (await repo.list()).map((v) => v.name).filter((name) => name.startsWith('List ')),
        ['List A', 'List B', 'List C'],
      )
      assert.equal(await repo.find('Nobody'), null)
    })

    test('deleting old positions goes a chunk at a time, takes only those before the cutoff, and keeps the latest state', async () => {
      // A year before the other tests' reports, so only these are old enough.
      const old = (seconds: number) => ({
        ...report('Retired', seconds, seconds),
        timestamp: `2025-01-01T12:00:${String(seconds).padStart(2, '0')}.000Z`,
      })
      await repo.store([0, 10, 20, 30, 40].map(old))
      const cutoff = new Date('2025-01-01T12:00:25.000Z')
      const chunks = []
      for (let n; (n = await repo.deleteOlderThan(cutoff, 2)) > 0;) chunks.push(n)
      assert.deepEqual(chunks, [2, 1])
      const left = await repo.history('Retired', { from: new Date(0), to: new Date(), limit: 100 })
      assert.deepEqual(
        left.map((position) => position.timestamp),
        ['2025-01-01T12:00:30.000Z', '2025-01-01T12:00:40.000Z'],
      )
      assert.equal(
        (await repo.find('Retired'))?.timestamp,
        '2025-01-01T12:00:40.000Z',
        'the latest state stays',
      )
    })
  })
}
