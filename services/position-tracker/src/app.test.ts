import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { openDatabase, type Database } from '@convoy/platform/db'
import { eventually, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp } from './app.ts'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository } from './repository.ts'

describe('position-tracker HTTP API', () => {
  let database: Database<Tables>
  let app: Awaited<ReturnType<typeof buildApp>>
  let issuer: TestIssuer
  let token: string

  before(async () => {
    issuer = await testIssuer()
    token = await issuer.token({ role: 'viewer' })
    database = await openDatabase<Tables>({ url: 'pglite:memory', log: testLogger(), migrations })
    const repository = positionsRepository(database.db)
    await repository.store([
      { vehicle: 'City Truck', lat: 53.38, lng: -1.47, timestamp: '2026-01-01T12:00:00.000Z' },
      { vehicle: 'City Truck', lat: 53.381, lng: -1.47, timestamp: '2026-01-01T12:00:10.000Z' },
      { vehicle: 'Van', lat: 53.3, lng: -1.5, timestamp: '2026-01-01T12:00:00.000Z' },
    ])
    app = buildApp({
      service: 'position-tracker',
      log: testLogger(),
      repository,
      verifier: issuer.verifier,
    })
  })
  after(async () => {
    await app.close()
    await database.close()
  })

  const get = (url: string, authorization = `Bearer ${token}`) =>
    app.inject({ method: 'GET', url, headers: { authorization } })

  test('every API route needs a valid token (defence in depth behind the gateway)', async () => {
    for (const [authorization, reason] of [
      ['', 'needs an access token'],
      ['Bearer nonsense', 'not a bearer token'],
      [`Bearer ${await issuer.token({ ttlSeconds: -120 })}`, 'expired'],
      [`Bearer ${await issuer.token({ aud: 'someone-else' })}`, 'aud claim'],
    ] as const) {
      const response = await get('/vehicles/Van', authorization)
      assert.equal(response.statusCode, 401, reason)
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
      assert.match(response.json<{ detail: string }>().detail, new RegExp(reason))
      assert.match(String(response.headers['www-authenticate']), /^Bearer realm="convoy"/)
    }
  })

  test('lists vehicles sorted by name', async () => {
    const response = await get('/vehicles')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(
      response.json<Array<{ name: string }>>().map((v) => v.name),
      ['City Truck', 'Van'],
    )
  })

  test('serves one vehicle by a name with a space, with speed and heading', async () => {
    const response = await get('/vehicles/City%20Truck')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), {
      name: 'City Truck',
      lat: 53.381,
      lng: -1.47,
      speedKmh: 40,
      heading: 0,
      timestamp: '2026-01-01T12:00:10.000Z',
    })
  })

  test('serves history oldest first within the range', async () => {
    const response = await get(
      '/vehicles/City%20Truck/history?from=2026-01-01T11:00:00Z&to=2026-01-01T13:00:00Z',
    )
    assert.equal(response.statusCode, 200)
    const body = response.json<{ name: string; positions: Array<{ timestamp: string; speedKmh: number }> }>()
    assert.equal(body.name, 'City Truck')
    assert.deepEqual(
      body.positions.map((p) => [p.timestamp, p.speedKmh]),
      [
        ['2026-01-01T12:00:00.000Z', 0],
        ['2026-01-01T12:00:10.000Z', 40],
      ],
    )
  })

  const badRequests: Array<[string, number, RegExp]> = [
    ['/vehicles/Nobody', 404, /no vehicle named "Nobody"/],
    ['/vehicles/Nobody/history', 404, /no vehicle/],
    ['/vehicles/%00', 400, /name/],
    ['/vehicles/a%0Ab', 400, /name/],
    [`/vehicles/${'x'.repeat(10_000)}`, 414, /too long/],
    [`/vehicles/${'x'.repeat(500)}`, 400, /name/],
    ['/vehicles/Van/history?limit=-1', 400, /limit/],
    ['/vehicles/Van/history?limit=abc', 400, /limit/],
    ['/vehicles/Van/history?limit=10001', 400, /limit/],
    ['/vehicles/Van/history?from=yesterday', 400, /from/],
    ['/vehicles/Van/history?to=2026-13-45T00:00:00Z', 400, /to/],
    [
      '/vehicles/Van/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      400,
      /from must not be after to/,
    ],
    ['/vehicles/%E0%A4%A', 400, /malformed/],
    ['/vehicles/a%7Fb', 400, /name/],
    ['/vehicles/a%C2%85b', 400, /name/],
    ['/vehicles/Van%E2%80%AEkcurT', 400, /name/], // U+202E, which would show "VanTruck" reversed
    ['/vehicles/Van%E2%80%8B', 400, /name/], // a zero-width space: two names that look the same
    ['/vehicles/Van/history?from=1969-12-31T23:59:60Z', 400, /from must be an instant/],
    ['/vehicles/Van/history?from=0000-01-01T00:00:00Z', 400, /from must be an instant/],
    ['/vehicles/Van/history?to=2026-01-01', 400, /to/],
    ['/nowhere', 404, /nothing here/],
    ['/vehicles/Van/history?limit=Infinity', 400, /limit must be integer/],
    ['/vehicles/Van/history?limit=-Infinity', 400, /limit must be integer/],
    ['/vehicles/Van/history?limit=1e400', 400, /limit must be integer/],
    [`/vehicles/Van/history?limit=${'9'.repeat(400)}`, 400, /limit must be integer/],
    ['/vehicles/Van/history?limit=0x10', 400, /limit must be integer/],
    ['/vehicles/Van/history?limit=1e3', 400, /limit must be integer/],
    ['/vehicles/Van/history?limit=%205', 400, /limit must be integer/],
  ]
  for (const [url, status, detail] of badRequests) {
    test(`GET ${url.slice(0, 60)} → ${status} problem+json`, async () => {
      const response = await get(url)
      assert.equal(response.statusCode, status)
      assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
      const body = response.json<{ status: number; title: string; detail: string; type: string }>()
      assert.equal(body.status, status)
      assert.match(body.detail, detail)
      assert.ok(body.type && body.title)
    })
  }

  test('counts its requests by route in its metrics (served on the ops port)', async () => {
    await get('/vehicles')
    const metrics = await app.metricsRegistry.metrics()
    assert.match(metrics, /http_server_request_duration_seconds_count\{[^}]*route="\/vehicles"[^}]*\} \d+/)
    assert.match(metrics, /service="position-tracker"/)
  })
})

describe('position-tracker history under load', () => {
  let database: Database<Tables>
  let app: Awaited<ReturnType<typeof buildApp>>
  let url: string
  let token: string
  /** History reads hold here, once they have read their first page, until let go. */
  const held: Array<() => void> = []

  before(async () => {
    const issuer = await testIssuer()
    token = await issuer.token({ role: 'viewer' })
    database = await openDatabase<Tables>({ url: 'pglite:memory', log: testLogger(), migrations })
    const repository = positionsRepository(database.db)
    await repository.store([
      { vehicle: 'Van', lat: 53.38, lng: -1.47, timestamp: '2026-01-01T12:00:00.000Z' },
    ])
    app = buildApp({
      service: 'position-tracker',
      log: testLogger(),
      repository: {
        ...repository,
        // A slow read: its first page comes at once, the rest when the test lets it go.
        async *historyPages(...args: Parameters<typeof repository.historyPages>) {
          for await (const page of repository.historyPages(...args)) {
            yield page
            await new Promise<void>((resolve) => held.push(resolve))
          }
        },
      },
      verifier: issuer.verifier,
      history: { concurrency: 1, queue: 1 },
    })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    for (const release of held) release()
    await app.close()
    await database.close()
  })

  const history = () =>
    fetch(`${url}/vehicles/Van/history?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`, {
      headers: { authorization: `Bearer ${token}` },
    })

  test('one read at a time, one more waits its turn, the rest are told to come back: 503 with Retry-After', async () => {
    const first = await history() // answering: its headers are out, its body held
    assert.equal(first.status, 200)
    const second = history() // waits its turn
    const third = await history()
    assert.equal(third.status, 503)
    assert.equal(third.headers.get('retry-after'), '1')
    assert.match(third.headers.get('content-type') ?? '', /^application\/problem\+json/)
    assert.match(((await third.json()) as { detail: string }).detail, /too many history reads at once/)

    held.shift()!() // the first read ends…
    assert.deepEqual(((await first.json()) as { positions: unknown[] }).positions.length, 1)
    const waited = await second // …and the second one has its turn
    assert.equal(waited.status, 200)
    await eventually(() => held.length === 1, 'the second read holding')
    held.shift()!()
    assert.equal(((await waited.json()) as { name: string }).name, 'Van')
    assert.equal((await history().then((r) => (held.shift()?.(), r))).status, 200, 'free again')
  })
})
