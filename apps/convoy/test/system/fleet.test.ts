/**
 * The system in the stack topology: every service its own process, real PostgreSQL and RabbitMQ.
 * Known positions go in at the broker; what comes out of the gateway's API and live feed is checked.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  positionReported,
  type Vehicle,
  type VehicleHistory,
  type VehicleReplay,
  type VehicleTrips,
} from '@convoy/contracts'
import { connectBroker, deadLetterQueue, untypedTopic, type Broker } from '@convoy/platform/messaging'
import { drainQueue, eventually, testLogger } from '@convoy/platform/testing'
import { login, openLiveFeed, startTestStack, type LiveFeed, type TestStack } from '@convoy/system/testing'

const VEHICLES = ['Test Van A', 'Test Van B', 'Test Van C']
const POINTS = 100
const START = Date.parse('2026-03-01T08:00:00.000Z')
/** 10 m north per second: 36 km/h, heading 0. */
const STEP_DEGREES = 10 / 111_195

const report = (vehicle: string, i: number) => ({
  vehicle,
  lat: 53.38 + i * STEP_DEGREES,
  lng: -1.47,
  timestamp: new Date(START + i * 1000).toISOString(),
})

describe('fleet tracking in the stack topology', () => {
  let system: TestStack
  let broker: Broker
  let live: LiveFeed
  let trackerUrl: string
  let token: string

  before(async () => {
    system = await startTestStack({ serviceEnv: { 'position-simulator': { VEHICLES: '0' } } })
    trackerUrl = system.services['position-tracker']!
    broker = connectBroker({ url: system.amqpUrl, log: testLogger() })
    await eventually(
      async () => (await fetch(`${system.ops['position-tracker']}/readyz`)).ok,
      'tracker ready',
      30_000,
    )
    await eventually(async () => (await fetch(`${system.ops.gateway}/readyz`)).ok, 'gateway ready', 30_000)
    token = await login(system.url)
    live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, token)
  })

  after(async () => {
    live?.close()
    await broker?.close()
    await system?.close()
  })

  const api = async <T>(path: string) => {
    const response = await fetch(`${system.url}/api${path}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (await response.json()) as T,
    }
  }

  test('stores exactly the N positions published, whatever their order and duplicates', async () => {
    const reports = VEHICLES.flatMap((vehicle) =>
      Array.from({ length: POINTS }, (_, i) => report(vehicle, i)),
    )
    // Out of order, and a tenth of them twice (a redelivery, or a retrying publisher).
    const shuffled = reports.toSorted(
      (a, b) => ((a.lat * 1e9) % 7) - ((b.lat * 1e9) % 7) || a.vehicle.localeCompare(b.vehicle),
    )
    const duplicates = reports.filter((_, i) => i % 10 === 0)
    await Promise.all(
      [...shuffled, ...duplicates].map((r) =>
        broker.publish(positionReported, r, {
          messageId: `${r.vehicle}@${r.timestamp}`,
        }),
      ),
    )

    for (const vehicle of VEHICLES) {
      const name = encodeURIComponent(vehicle)
      const history = await eventually(async () => {
        const { body } = await api<VehicleHistory>(
          `/vehicles/${name}/history?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&limit=10000`,
        )
        return body.positions.length === POINTS ? body : null
      }, `${POINTS} positions of ${vehicle}`)
      const times = history.positions.map((p) => Date.parse(p.timestamp))
      assert.deepEqual(
        times,
        times.toSorted((a, b) => a - b),
        'history oldest first',
      )
      assert.ok(
        history.positions.slice(1).every((p) => Math.abs(p.speedKmh - 36) < 0.2),
        'speed of every later fix is 36 km/h',
      )
    }
  })

  test('serves the latest state with speed and heading', async () => {
    const { status, body } = await api<Vehicle>(`/vehicles/${encodeURIComponent('Test Van B')}`)
    assert.equal(status, 200)
    assert.equal(body.timestamp, new Date(START + (POINTS - 1) * 1000).toISOString())
    assert.ok(Math.abs(body.speedKmh - 36) < 0.2, `speed ${body.speedKmh}`)
    assert.equal(body.heading, 0)
    const list = await api<Vehicle[]>('/vehicles')
    assert.deepEqual(
      list.body.map((v) => v.name),
      VEHICLES,
    )
  })

  test('replays a vehicle, its trips as CSV and its route as GPX, through the gateway', async () => {
    const name = encodeURIComponent('Test Van A')
    const range = `from=${new Date(START).toISOString()}&to=${new Date(START + POINTS * 1000).toISOString()}`
    const { status, body: replay } = await api<VehicleReplay>(`/vehicles/${name}/route?${range}`)
    assert.equal(status, 200)
    // 100 positions 10 m apart, a second apart, due north: an even drive, its two ends.
    assert.deepEqual(
      replay.positions.map((p) => p.timestamp),
      [START, START + (POINTS - 1) * 1000].map((t) => new Date(t).toISOString()),
    )
    assert.deepEqual([replay.reduction.originalPositions, replay.reduction.keptPositions], [POINTS, 2])
    const { body: trips } = await api<VehicleTrips>(`/vehicles/${name}/trips?${range}`)
    assert.equal(trips.trips.length, 1)
    assert.equal(Math.round(trips.trips[0]!.distanceMetres), (POINTS - 1) * 10)

    for (const [path, type, filename] of [
      [`trips?${range}&format=csv`, 'text/csv', 'Test Van A trips 20260301T080000Z-20260301T080140Z.csv'],
      [
        `route?${range}&format=gpx`,
        'application/gpx+xml',
        'Test Van A route 20260301T080000Z-20260301T080140Z.gpx',
      ],
    ] as const) {
      const response = await fetch(`${system.url}/api/vehicles/${name}/${path}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(response.status, 200)
      assert.ok(response.headers.get('content-type')?.startsWith(`${type}; charset=utf-8`))
      assert.equal(
        response.headers.get('content-disposition'),
        `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
      )
      // As bytes: a browser's text() drops the byte-order mark the CSV starts with.
      const body = Buffer.from(await response.arrayBuffer()).toString('utf8')
      assert.match(body, type === 'text/csv' ? /^\ufeff"vehicle",/ : /<trkseg>/)
    }
  })

  test('pushes live frames to a WebSocket client', async () => {
    const last = new Date(START + (POINTS - 1) * 1000).toISOString()
    await eventually(
      () =>
        VEHICLES.every((name) =>
          live.frames.some(
            (f) => f.type === 'positions' && f.vehicles.some((v) => v.name === name && v.timestamp === last),
          ),
        ),
      'latest state of every vehicle on the live feed',
    )
  })

  test('dead-letters a malformed report and keeps consuming', async () => {
    await broker.publish(untypedTopic(positionReported), {
      vehicle: 'Bad',
      lat: 'north',
      lng: 0,
      timestamp: 'now',
    })
    await broker.publish(positionReported, report('Test Van D', 0))
    await eventually(
      async () => (await api(`/vehicles/${encodeURIComponent('Test Van D')}`)).status === 200,
      'the next report stored',
    )
    const dead = await eventually(async () => {
      const messages = await drainQueue(system.amqpUrl, deadLetterQueue('position-tracker.positions'))
      return messages.length ? messages : null
    }, 'the malformed report dead-lettered')
    assert.equal(dead.length, 1)
    assert.match(String(dead[0]!.headers['x-convoy-death-reason']), /invalid body/)
  })

  const badRequests: Array<[string, number]> = [
    ['/vehicles/%00', 400],
    [`/vehicles/${'x'.repeat(10_000)}`, 414],
    ['/vehicles/Nobody', 404],
    ['/vehicles/Test%20Van%20A/history?limit=-1', 400],
    ['/vehicles/Test%20Van%20A/history?from=yesterday', 400],
    ['/vehicles/Test%20Van%20A/route?format=kml', 400],
    ['/vehicles/Test%20Van%20A/trips?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 400],
    ['/vehicles/Test%20Van%20A/summary?date=2026-03-01&timeZone=Mars%2FOlympus', 400],
    ['/vehicles/Nobody/stops', 404],
  ]
  for (const [path, status] of badRequests) {
    test(`GET /api${path.slice(0, 50)} through the gateway → ${status} problem+json`, async () => {
      const response = await api<{ status: number }>(path)
      assert.equal(response.status, status)
      assert.match(response.type, /application\/problem\+json/)
      assert.equal(response.body.status, status)
    })
  }

  test('exposes the telemetry of what happened on /metrics', async () => {
    const tracker = await (await fetch(`${system.ops['position-tracker']}/metrics`)).text()
    const stored = Number(/^positions_stored_total\{[^}]*\} (\d+)/m.exec(tracker)?.[1])
    // Every position once: the duplicates published were not counted, and 'Test Van D' was one more.
    assert.equal(stored, VEHICLES.length * POINTS + 1)
    assert.match(tracker, /messages_consumed_total\{[^}]*outcome="dead"[^}]*\} 1/)
    const gateway = await (await fetch(`${system.ops.gateway}/metrics`)).text()
    assert.match(gateway, /^live_clients\{[^}]*service="gateway"[^}]*\} 1$/m)
    assert.match(gateway, /live_frames_sent_total\{[^}]*\} [1-9]/)
  })

  // What an attacker sends at every service through the one public door. Each answer is a 4xx
  // problem that names no internal path (the services' own are /auth…, /vehicles…), no address,
  // port or service, and is neither cached nor sniffed.
  const multipart = (body: string, boundary = '; boundary=xyz') => ({
    headers: { 'content-type': `multipart/form-data${boundary}` },
    body,
  })
  const attacks: Array<
    [string, string, number, { headers?: Record<string, string>; body?: string }?, string?]
  > = [
    ['GET', '/api/vehicles/Test%20Van%20A/history?limit=Infinity', 400],
    ['GET', '/api/vehicles/Test%20Van%20A/history?limit=-Infinity', 400],
    ['GET', '/api/vehicles/Test%20Van%20A/history?limit=1e400', 400],
    ['GET', `/api/vehicles/Test%20Van%20A/history?limit=${'9'.repeat(400)}`, 400],
    ['GET', '/api/vehicles/Test%20Van%20A/history?limit=0x10', 400],
    ['PUT', '/api/vehicles', 405, {}, 'GET, HEAD'],
    ['GET', '/api/auth/login', 405, {}, 'POST'],
    ['DELETE', '/api/auth/me', 405, {}, 'GET, HEAD'],
    ['PATCH', '/api/notifications', 405, {}, 'GET, HEAD'],
    [
      'POST',
      '/api/auth/users',
      400,
      {
        headers: { 'content-type': 'application/json' },
        body: '{"username":123,"password":"a long passphrase","role":"viewer"}',
      },
    ],
    [
      'POST',
      '/api/media',
      400,
      multipart('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nabc', ''),
    ],
    [
      'POST',
      '/api/media',
      400,
      multipart('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nabc'),
    ],
    ['GET', '/api/media/not-an-id', 400],
    ['PATCH', '/api/geofences', 405, {}, 'DELETE, GET, HEAD, POST, PUT'],
    ['POST', '/api/fleet-rules', 405, {}, 'GET, HEAD, PUT'],
    [
      'POST',
      '/api/geofences',
      400,
      {
        headers: { 'content-type': 'application/json' },
        body: '{"name":"Depot","shape":{"type":"circle","center":{"lat":91,"lng":0},"radiusMetres":10}}',
      },
    ],
    ['DELETE', '/api/geofences/not-an-id', 400],
    ['GET', '/api/events?limit=Infinity', 400],
    ['GET', '/api/events?kind=everything', 400],
    ['GET', '/api/nowhere', 404],
  ]
  for (const [method, path, status, request = {}, allow] of attacks) {
    test(`${method} ${path.slice(0, 60)} → ${status} problem naming nothing internal`, async () => {
      const response = await fetch(`${system.url}${path}`, {
        method,
        body: request.body,
        headers: { authorization: `Bearer ${token}`, ...request.headers },
      })
      const body = await response.text()
      assert.equal(response.status, status, body)
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
      if (allow) assert.equal(response.headers.get('allow'), allow)
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.doesNotMatch(
        body,
        /(?<!\/api)\/(auth|vehicles|media|notifications|internal|geofences|fleet-rules|events)\b/,
      )
      assert.doesNotMatch(body, /127\.0\.0\.1|localhost|:\d{4,5}\b|position-tracker|fleet-events|converter/)
    })
  }

  test('everything is behind auth: a viewer reads the fleet, is refused user admin, and no token gets 401', async () => {
    const asAdmin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const created = await fetch(`${system.url}/api/auth/users`, {
      method: 'POST',
      headers: asAdmin,
      body: JSON.stringify({ username: 'vera', password: 'vera password', role: 'viewer' }),
    })
    assert.equal(created.status, 201)
    const vera = { authorization: `Bearer ${await login(system.url, 'vera', 'vera password')}` }
    assert.equal((await fetch(`${system.url}/api/vehicles`, { headers: vera })).status, 200)
    assert.equal((await fetch(`${system.url}/api/auth/users`, { headers: vera })).status, 403)
    assert.equal((await fetch(`${system.url}/api/vehicles`)).status, 401)
    // The tracker checks for itself too, should anything reach it past the gateway.
    assert.equal((await fetch(`${trackerUrl}/vehicles`)).status, 401)
    assert.equal((await fetch(`${trackerUrl}/vehicles`, { headers: vera })).status, 200)
  })

  test('serves the web app at /', async () => {
    const response = await fetch(system.url)
    assert.equal(response.status, 200)
    assert.match(await response.text(), /<title>Convoy/)
  })
})
