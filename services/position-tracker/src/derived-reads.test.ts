import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { DailySummary, Position, VehicleReplay, VehicleStops, VehicleTrips } from '@convoy/contracts'
import { testIssuer } from '@convoy/access/testing'
import { openDatabase, type Database } from '@convoy/platform/db'
import { databaseTargets, testLogger } from '@convoy/platform/testing'
import { buildApp } from './app.ts'
import { REPLAY_REDUCTION } from './derived-reads.ts'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository, type PositionsRepository } from './repository.ts'
import { synchronisedDistanceMetres } from './simplify.ts'
import { journey, reportsOf } from './testing.ts'

const MINUTE = 60_000
const iso = (ms: number) => new Date(ms).toISOString()
const at = (time: number) => ({ lat: 53.38, lng: -1.47, time })
/** A drive of 10 minutes north at 36 km/h, 10 minutes stopped, 10 minutes east: a delivery. */
const delivery = (start: number) =>
  journey(at(start), [
    { drive: 600, kmh: 36, heading: 0 },
    { halt: 600, jitterMetres: 3 },
    { drive: 600, kmh: 36, heading: 90 },
  ])
/** How far a stop's ends may lie from where the vehicle really halted: its radius, at 36 km/h. */
const EDGE_MS = 5000

for (const target of databaseTargets) {
  describe(`replays, trips, stops and summaries on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let database: Database<Tables>
    let repository: PositionsRepository
    let app: ReturnType<typeof buildApp>
    let token: string
    /** The clock of the app, long after every journey here: none of their trips is under way. */
    const now = Date.UTC(2026, 5, 1)

    before(async () => {
      env = await target.create()
      database = await openDatabase<Tables>({ url: env.url, log: testLogger(), migrations })
      repository = positionsRepository(database.db)
      const issuer = await testIssuer()
      token = await issuer.token({ role: 'viewer' })
      app = buildApp({
        service: 'position-tracker',
        log: testLogger(),
        repository,
        verifier: issuer.verifier,
        now: () => now,
      })
    })
    after(async () => {
      await app.close()
      await database.close()
      await env.drop()
    })

    const get = (url: string) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
    const json = async <T>(url: string): Promise<T> => {
      const response = await get(url)
      assert.equal(response.statusCode, 200, response.body)
      return response.json<T>()
    }
    const range = (from: number, to: number) => `from=${iso(from)}&to=${iso(to)}`

    test('a delivery stored out of order and partly twice: two trips and the stop between them', async () => {
      const start = Date.UTC(2026, 2, 2, 8)
      const reports = reportsOf('Delivery Van', delivery(start))
      // The second half first, then the first half and a tenth of everything again: late and twice.
      const half = reports.length / 2
      for (const batch of [
        reports.slice(half),
        reports.slice(0, half),
        reports.filter((_, i) => i % 10 === 0),
      ])
        await repository.store(batch)

      const query = range(start, start + 30 * MINUTE)
      const { trips, rules } = await json<VehicleTrips>(`/vehicles/Delivery%20Van/trips?${query}`)
      const { stops } = await json<VehicleStops>(`/vehicles/Delivery%20Van/stops?${query}`)
      assert.deepEqual(rules, { stopRadiusMetres: 50, minStopSeconds: 300, maxGapSeconds: 300 })
      assert.equal(trips.length, 2)
      assert.equal(stops.length, 1)
      const near = (actual: string | null | undefined, expected: number) =>
        assert.ok(
          actual && Math.abs(Date.parse(actual) - expected) <= EDGE_MS,
          `${actual} vs ${iso(expected)}`,
        )
      assert.equal(trips[0]!.start.timestamp, iso(start))
      near(trips[0]!.end.timestamp, start + 10 * MINUTE)
      near(stops[0]!.arrival, start + 10 * MINUTE)
      near(stops[0]!.departure, start + 20 * MINUTE)
      near(trips[1]!.start.timestamp, start + 20 * MINUTE)
      assert.equal(trips[1]!.end.timestamp, iso(start + 30 * MINUTE))
      for (const trip of trips) {
        assert.ok(trip.distanceMetres > 5900 && trip.distanceMetres <= 6000, `${trip.distanceMetres} m`)
        assert.ok(Math.abs(trip.maxSpeedKmh - 36) < 0.2, `${trip.maxSpeedKmh} km/h`)
      }
      assert.ok(Math.abs(stops[0]!.durationSeconds - 600) <= 10)
    })

    test('the replay of a known hour starts and ends exactly at its first and last stored positions', async () => {
      const start = Date.UTC(2026, 2, 3, 9)
      // An hour of turns, speed changes and a halt, one position a second.
      const hour = journey(at(start), [
        ...Array.from({ length: 12 }, (_, i) => ({ drive: 240, kmh: 20 + 5 * (i % 7), heading: i * 37 })),
        { halt: 600 },
        { drive: 119, kmh: 50, heading: 200 },
      ])
      assert.equal(hour.length, 3600)
      await repository.store(reportsOf('Replayed Van', hour))
      const replay = await json<VehicleReplay>(
        `/vehicles/Replayed%20Van/route?${range(start, start + 3600_000)}`,
      )

      assert.equal(replay.name, 'Replayed Van')
      assert.deepEqual([replay.from, replay.to], [iso(start), iso(start + 3600_000)])
      const first = replay.positions[0]!
      const last = replay.positions.at(-1)!
      assert.deepEqual([first.timestamp, first.lat, first.lng], [iso(start), hour[0]!.lat, hour[0]!.lng])
      assert.deepEqual(
        [last.timestamp, last.lat, last.lng],
        [iso(hour.at(-1)!.time), hour.at(-1)!.lat, hour.at(-1)!.lng],
      )
      assert.equal(Math.round(last.speedKmh), 50, 'the speed it was driving at')
      assert.deepEqual(
        { ...replay.reduction, maxErrorMetres: undefined, keptPositions: undefined },
        {
          algorithm: 'sed-douglas-peucker',
          toleranceMetres: REPLAY_REDUCTION.toleranceMetres,
          maxPositions: REPLAY_REDUCTION.maxPositions,
          originalPositions: 3600,
          keptPositions: undefined,
          maxErrorMetres: undefined,
        },
      )
      assert.equal(replay.reduction.keptPositions, replay.positions.length)
      assert.ok(replay.positions.length < 100, `${replay.positions.length} kept: straight legs need two each`)

      // Every stored position within the tolerance of where the replay puts the vehicle at its time.
      const kept = replay.positions.map((p: Position) => ({
        lat: p.lat,
        lng: p.lng,
        time: Date.parse(p.timestamp),
      }))
      let k = 0
      let worst = 0
      for (const p of hour) {
        while (kept[k + 1] && kept[k + 1]!.time < p.time) k++
        const next = kept[k + 1] ?? kept[k]!
        worst = Math.max(worst, synchronisedDistanceMetres(p, kept[k]!, next))
      }
      assert.ok(worst <= REPLAY_REDUCTION.toleranceMetres, `${worst} m`)
      assert.ok(Math.abs(worst - replay.reduction.maxErrorMetres) < 0.01, 'the worst is reported')
    })

    test('the replay as GPX: a track of the kept positions, named safely, saved under the vehicle and range', async () => {
      const start = Date.UTC(2026, 2, 4, 10)
      const name = `<Fish & "Chips"> O'Neil's 🚚`
      await repository.store(reportsOf(name, journey(at(start), [{ drive: 60, kmh: 36, heading: 90 }])))
      const url = `/vehicles/${encodeURIComponent(name)}/route?${range(start, start + MINUTE)}&format=gpx`
      const response = await get(url)
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.headers['content-type'], 'application/gpx+xml; charset=utf-8')
      assert.equal(
        response.headers['content-disposition'],
        `attachment; filename="_Fish & _Chips__ O'Neil's _ route 20260304T100000Z-20260304T100100Z.gpx"; ` +
          `filename*=UTF-8''_Fish%20%26%20_Chips__%20O%27Neil%27s%20%F0%9F%9A%9A%20route%2020260304T100000Z-20260304T100100Z.gpx`,
      )
      const gpx = response.body
      assert.match(
        gpx,
        /^<\?xml version="1.0" encoding="UTF-8"\?>\n<gpx version="1.1" creator="Convoy" xmlns="http:\/\/www.topografix.com\/GPX\/1\/1">/,
      )
      assert.match(gpx, /<name>&lt;Fish &amp; &quot;Chips&quot;&gt; O&apos;Neil&apos;s 🚚<\/name>/)
      const points = [
        ...gpx.matchAll(/<trkpt lat="([-\d.]+)" lon="([-\d.]+)"><time>([^<]+)<\/time><\/trkpt>/g),
      ]
      assert.deepEqual(
        points.map((p) => p[3]),
        [iso(start), iso(start + MINUTE)],
        'a straight, even drive: its ends',
      )
      assert.match(gpx, /<desc>[^<]*2 of 61 positions[^<]*<\/desc>/)
      assert.match(gpx, /<\/trkseg>\n {2}<\/trk>\n<\/gpx>\n$/)
    })

    test('trips and stops as CSV: quoted, a formula in a name made harmless, one row each', async () => {
      const start = Date.UTC(2026, 2, 5, 8)
      const name = '=HYPERLINK("http://evil","Van, 1")'
      await repository.store(reportsOf(name, delivery(start)))
      const query = `${range(start, start + 30 * MINUTE)}&format=csv`
      const trips = await get(`/vehicles/${encodeURIComponent(name)}/trips?${query}`)
      assert.equal(trips.statusCode, 200, trips.body)
      assert.equal(trips.headers['content-type'], 'text/csv; charset=utf-8; header=present')
      assert.equal(
        trips.headers['content-disposition'],
        `attachment; filename="=HYPERLINK(_http___evil_,_Van, 1_) trips 20260305T080000Z-20260305T083000Z.csv"; ` +
          `filename*=UTF-8''%3DHYPERLINK%28_http___evil_%2C_Van%2C%201_%29%20trips%2020260305T080000Z-20260305T083000Z.csv`,
      )
      const lines = trips.body.split('\r\n')
      assert.equal(
        lines[0],
        '\ufeff"vehicle","start","startLat","startLng","end","endLat","endLng","distanceMetres","durationSeconds","maxSpeedKmh","averageSpeedKmh","startsBefore","endsAfter"',
      )
      assert.equal(lines.length, 4, 'a header, two trips and the end of the last line')
      assert.equal(lines[3], '')
      const safeName = `"'=HYPERLINK(""http://evil"",""Van, 1"")"`
      assert.ok(lines[1]!.startsWith(`${safeName},"${iso(start)}",53.38,-1.47,"`), lines[1])
      assert.match(lines[1]!, /,false,false$/)

      const stops = await get(`/vehicles/${encodeURIComponent(name)}/stops?${query}`)
      assert.equal(stops.statusCode, 200, stops.body)
      const [header, row, end] = stops.body.split('\r\n')
      assert.equal(
        header,
        '\ufeff"vehicle","lat","lng","arrival","departure","durationSeconds","startsBefore","endsAfter"',
      )
      assert.match(
        row!,
        new RegExp(
          `^${safeName.replace(/[()|]/g, '\\$&')},53\\.43\\d+,-1\\.4\\d+,"2026-03-05T08:09:\\d\\d\\.000Z","2026-03-05T08:20:\\d\\d\\.000Z",\\d+,false,false$`,
        ),
      )
      assert.equal(end, '')
    })

    test('a stop still going on at to has no departure, and its CSV cell is empty', async () => {
      const start = Date.UTC(2026, 2, 6, 8)
      await repository.store(reportsOf('Parked Van', delivery(start)))
      const query = range(start, start + 15 * MINUTE)
      const { stops } = await json<VehicleStops>(`/vehicles/Parked%20Van/stops?${query}`)
      assert.deepEqual([stops.length, stops[0]!.departure, stops[0]!.endsAfter], [1, null, true])
      const csv = (await get(`/vehicles/Parked%20Van/stops?${query}&format=csv`)).body
      assert.match(csv.split('\r\n')[1]!, /,"2026-03-06T08:09:\d\d\.000Z",,\d+(\.\d+)?,false,true$/)
    })

    test('the summary of a local day east of Greenwich takes that day, not the UTC one', async () => {
      // Two deliveries on the evening of 1 March UTC: the second is after midnight in Berlin (UTC+1).
      const first = Date.UTC(2026, 2, 1, 21, 30)
      const second = Date.UTC(2026, 2, 1, 23, 10)
      await repository.store(reportsOf('Night Van', [...delivery(first), ...delivery(second)]))
      const summary = (date: string, zone?: string) =>
        json<DailySummary>(`/vehicles/Night%20Van/summary?date=${date}${zone ? `&timeZone=${zone}` : ''}`)

      const berlin = await summary('2026-03-02', 'Europe/Berlin')
      assert.deepEqual(
        [berlin.date, berlin.timeZone, berlin.from, berlin.to],
        ['2026-03-02', 'Europe/Berlin', '2026-03-01T23:00:00.000Z', '2026-03-02T23:00:00.000Z'],
      )
      assert.deepEqual([berlin.trips, berlin.stops], [2, 1], 'the second delivery only')
      assert.equal(berlin.firstPosition?.timestamp, iso(second))
      assert.equal(berlin.lastPosition?.timestamp, iso(second + 30 * MINUTE))
      assert.ok(
        berlin.distanceMetres > 11_800 && berlin.distanceMetres <= 12_000,
        `${berlin.distanceMetres} m`,
      )
      assert.ok(Math.abs(berlin.drivingSeconds - 1200) <= 10, `${berlin.drivingSeconds} s driving`)
      assert.ok(Math.abs(berlin.stoppedSeconds - 600) <= 10, `${berlin.stoppedSeconds} s stopped`)
      assert.equal(Math.round(berlin.maxSpeedKmh), 36)

      const evening = await summary('2026-03-01', 'Europe/Berlin')
      assert.deepEqual([evening.trips, evening.stops], [2, 1], 'the first delivery only')
      assert.equal(evening.lastPosition?.timestamp, iso(first + 30 * MINUTE))

      const utc = await summary('2026-03-01')
      assert.equal(utc.timeZone, 'UTC', 'UTC unless told')
      assert.deepEqual([utc.trips, utc.stops], [4, 2], 'both deliveries')

      const empty = await summary('2026-03-03', 'Europe/Berlin')
      assert.deepEqual(
        [empty.trips, empty.stops, empty.distanceMetres, empty.firstPosition, empty.lastPosition],
        [0, 0, 0, null, null],
      )
    })

    test('bad input is a 4xx problem, before any read', async () => {
      await repository.store(reportsOf('Van', [at(Date.UTC(2026, 2, 7))]))
      const cases: Array<[string, number, RegExp]> = [
        ['/vehicles/Nobody/route', 404, /no vehicle named "Nobody"/],
        ['/vehicles/Nobody/trips', 404, /no vehicle named "Nobody"/],
        ['/vehicles/Nobody/stops', 404, /no vehicle named "Nobody"/],
        ['/vehicles/Nobody/summary?date=2026-03-01', 404, /no vehicle named "Nobody"/],
        [
          '/vehicles/Van/route?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
          400,
          /from must not be after to/,
        ],
        [
          '/vehicles/Van/trips?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
          400,
          /from must not be after to/,
        ],
        ['/vehicles/Van/route?from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:01Z', 400, /longer than 7 days/],
        ['/vehicles/Van/trips?from=2026-03-01T00:00:00Z&to=2026-03-09T00:00:00Z', 400, /longer than 7 days/],
        ['/vehicles/Van/stops?from=2026-01-01T00:00:00Z', 400, /longer than 7 days/],
        ['/vehicles/Van/route?from=yesterday', 400, /from/],
        ['/vehicles/Van/trips?to=2026-13-45T00:00:00Z', 400, /to/],
        ['/vehicles/Van/stops?from=1969-12-31T23:59:60Z', 400, /from must be an instant/],
        ['/vehicles/Van/route?to=2026-03-01', 400, /to/],
        ['/vehicles/Van/route?format=csv', 400, /format/],
        ['/vehicles/Van/route?format=kml', 400, /format/],
        ['/vehicles/Van/trips?format=gpx', 400, /format/],
        ['/vehicles/Van/stops?format=xlsx', 400, /format/],
        ['/vehicles/Van/stops?format=csv&format=json', 400, /format/],
        ['/vehicles/Van/summary', 400, /date/],
        ['/vehicles/Van/summary?date=2026-02-30', 400, /date must be a day/],
        ['/vehicles/Van/summary?date=01%2F03%2F2026', 400, /date must be a day/],
        ['/vehicles/Van/summary?date=2026-03-01T00:00:00Z', 400, /date/],
        ['/vehicles/Van/summary?date=1969-12-31', 400, /between 1970 and 9999/],
        [
          '/vehicles/Van/summary?date=2026-03-01&timeZone=Mars%2FOlympus',
          400,
          /timeZone must be an IANA time zone/,
        ],
        ['/vehicles/Van/summary?date=2026-03-01&timeZone=', 400, /timeZone/],
        [`/vehicles/Van/summary?date=2026-03-01&timeZone=${'x'.repeat(200)}`, 400, /timeZone/],
        ['/vehicles/%00/route', 400, /name/],
        ['/vehicles/Van%E2%80%AE/trips', 400, /name/],
      ]
      for (const [url, status, detail] of cases) {
        const response = await get(url)
        assert.equal(response.statusCode, status, `${url}: ${response.body}`)
        assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/, url)
        const body = response.json<{ status: number; detail: string }>()
        assert.equal(body.status, status, url)
        assert.match(body.detail, detail, url)
      }
    })

    test('a range of exactly 7 days is taken, and an empty one answers empty', async () => {
      const from = Date.UTC(2026, 2, 7)
      const replay = await json<VehicleReplay>(`/vehicles/Van/route?${range(from, from + 7 * 86_400_000)}`)
      assert.deepEqual([replay.positions.length, replay.reduction.originalPositions], [1, 1])
      const empty = await json<VehicleReplay>(`/vehicles/Van/route?${range(from + 1, from + 2)}`)
      assert.deepEqual(
        [empty.positions, empty.reduction.keptPositions, empty.reduction.maxErrorMetres],
        [[], 0, 0],
      )
      const { trips } = await json<VehicleTrips>(`/vehicles/Van/trips?${range(from, from + 86_400_000)}`)
      assert.deepEqual(trips, [])
    })
  })
}
