import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FleetEvent, Geofence } from '@convoy/contracts'
import { openDatabase, type Database } from '@convoy/platform/db'
import { createTestDatabase, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp } from './app.ts'
import { migrations, type Tables } from './migrations.ts'
import { DEFAULT_RULES, fenceCache, fleetRepository, type FleetRepository } from './repository.ts'
import { SHEFFIELD } from './test-support.ts'

const PROBLEM = 'application/problem+json; charset=utf-8'
const circle = (radiusMetres = 100, center = SHEFFIELD) => ({ type: 'circle', center, radiusMetres })
const square = (lat = 53.3, lng = -1.5, size = 0.1) => ({
  type: 'polygon',
  points: [
    { lat, lng },
    { lat: lat + size, lng },
    { lat: lat + size, lng: lng + size },
    { lat, lng: lng + size },
  ],
})

describe('fleet-events HTTP API', () => {
  let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>
  let database: Database<Tables>
  let repository: FleetRepository
  let app: ReturnType<typeof buildApp>
  let issuer: TestIssuer
  const tokens: Record<'admin' | 'dispatcher' | 'viewer', string> = { admin: '', dispatcher: '', viewer: '' }

  before(async () => {
    issuer = await testIssuer()
    for (const role of ['admin', 'dispatcher', 'viewer'] as const)
      tokens[role] = await issuer.token({ role, user: `${role}-user` })
    testDatabase = await createTestDatabase()
    database = await openDatabase<Tables>({ url: testDatabase.url, log: testLogger(), migrations })
    repository = fleetRepository(database.db)
    app = buildApp({ service: 'fleet-events', log: testLogger(), repository, verifier: issuer.verifier })
  })
  after(async () => {
    await app.close()
    await database.close()
    await testDatabase.drop()
  })

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options: { role?: keyof typeof tokens; body?: unknown; raw?: string; authorization?: string } = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        authorization: options.authorization ?? `Bearer ${tokens[options.role ?? 'admin']}`,
        ...(options.body !== undefined || options.raw !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
      },
      payload: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    })
  const create = async (name: string, shape: unknown = circle()) => {
    const response = await call('POST', '/geofences', { body: { name, shape } })
    assert.equal(response.statusCode, 201, response.body)
    return response.json<Geofence>()
  }
  /** A 4xx problem whose detail matches `detail`. */
  const refused = (response: Awaited<ReturnType<typeof call>>, status: number, detail: RegExp, what = '') => {
    assert.equal(response.statusCode, status, `${what}: ${response.body}`)
    assert.equal(response.headers['content-type'], PROBLEM, what)
    assert.match(response.json<{ detail: string }>().detail, detail, what)
  }

  test('every route needs a valid token (defence in depth behind the gateway)', async () => {
    for (const [method, url] of [
      ['GET', '/geofences'],
      ['POST', '/geofences'],
      ['PUT', '/geofences/00000000-0000-4000-8000-000000000000'],
      ['DELETE', '/geofences/00000000-0000-4000-8000-000000000000'],
      ['GET', '/fleet-rules'],
      ['PUT', '/fleet-rules'],
      ['GET', '/events'],
    ] as const) {
      refused(
        await call(method, url, { authorization: '' }),
        401,
        /needs an access token/,
        `${method} ${url}`,
      )
      const expired = `Bearer ${await issuer.token({ ttlSeconds: -120 })}`
      refused(await call(method, url, { authorization: expired }), 401, /expired/, `${method} ${url}`)
    }
  })

  test('a dispatcher draws a circle and a polygon; every role lists them by name, with who drew them', async () => {
    const response = await call('POST', '/geofences', {
      role: 'dispatcher',
      body: { name: 'Zeta Yard', shape: square() },
    })
    assert.equal(response.statusCode, 201)
    const yard = response.json<Geofence>()
    assert.match(yard.id, /^[0-9a-f-]{36}$/)
    assert.deepEqual(
      { ...yard, id: '', createdAt: '' },
      { id: '', name: 'Zeta Yard', shape: square(), createdBy: 'dispatcher-user', createdAt: '' },
    )
    assert.ok(Math.abs(Date.parse(yard.createdAt) - Date.now()) < 60_000)
    const depot = await create('Alpha Depot', circle(250))
    const list = await call('GET', '/geofences', { role: 'viewer' })
    assert.equal(list.statusCode, 200)
    assert.deepEqual(
      list.json<Geofence[]>().filter((g) => [yard.id, depot.id].includes(g.id)),
      [depot, yard],
    )
  })

  test('a viewer may not draw, change or delete a geofence; only an admin sets the rules', async () => {
    const fence = await create('Viewer Proof')
    refused(
      await call('POST', '/geofences', { role: 'viewer', body: { name: 'V', shape: circle() } }),
      403,
      /admin or dispatcher; yours is viewer/,
    )
    refused(
      await call('PUT', `/geofences/${fence.id}`, { role: 'viewer', body: { name: 'V', shape: circle() } }),
      403,
      /yours is viewer/,
    )
    refused(await call('DELETE', `/geofences/${fence.id}`, { role: 'viewer' }), 403, /yours is viewer/)
    refused(
      await call('PUT', '/fleet-rules', { role: 'dispatcher', body: DEFAULT_RULES }),
      403,
      /role admin; yours is dispatcher/,
    )
    assert.equal((await call('GET', '/fleet-rules', { role: 'viewer' })).statusCode, 200)
  })

  test('a geofence is renamed and reshaped, then deleted; an unknown one is a 404, a taken name a 409', async () => {
    const fence = await create('Before')
    await create('Taken')
    const changed = await call('PUT', `/geofences/${fence.id}`, {
      role: 'dispatcher',
      body: { name: 'After', shape: square() },
    })
    assert.equal(changed.statusCode, 200)
    assert.deepEqual(changed.json(), { ...fence, name: 'After', shape: square() })

    refused(
      await call('POST', '/geofences', { body: { name: 'Taken', shape: circle() } }),
      409,
      /a geofence named "Taken" already exists/,
    )
    refused(
      await call('PUT', `/geofences/${fence.id}`, { body: { name: 'Taken', shape: circle() } }),
      409,
      /"Taken" already exists/,
    )
    const unknown = '4a4a4a4a-4a4a-4a4a-8a4a-4a4a4a4a4a4a'
    refused(
      await call('PUT', `/geofences/${unknown}`, { body: { name: 'Other', shape: circle() } }),
      404,
      /no geofence with id/,
    )
    refused(await call('DELETE', `/geofences/${unknown}`), 404, /no geofence with id/)
    refused(await call('DELETE', '/geofences/not-a-uuid'), 400, /params\/id must match format "uuid"/)

    assert.equal((await call('DELETE', `/geofences/${fence.id}`, { role: 'dispatcher' })).statusCode, 204)
    refused(await call('DELETE', `/geofences/${fence.id}`), 404, /no geofence/)
    const names = (await call('GET', '/geofences')).json<Geofence[]>().map((g) => g.name)
    assert.ok(!names.includes('After'))
  })

  test('every bad geofence is a 400 that says what is wrong, and nothing is stored', async () => {
    const point = (lat: number, lng: number) => ({ lat, lng })
    const many = (count: number) =>
      Array.from({ length: count }, (_, i) =>
        point(Math.sin((2 * Math.PI * i) / count), Math.cos((2 * Math.PI * i) / count)),
      )
    const cases: Array<[string, string, RegExp]> = [
      ['no name', JSON.stringify({ shape: circle() }), /body must have required property 'name'/],
      [
        'an empty name',
        JSON.stringify({ name: '', shape: circle() }),
        /body\/name must NOT have fewer than 1 characters/,
      ],
      [
        'a name of 101 characters',
        JSON.stringify({ name: 'x'.repeat(101), shape: circle() }),
        /body\/name must NOT have more than 100/,
      ],
      [
        'a name with a control character',
        JSON.stringify({ name: 'Depot\u0000', shape: circle() }),
        /body\/name must match pattern/,
      ],
      [
        'a name that reorders text',
        JSON.stringify({ name: 'Depot\u202e', shape: circle() }),
        /body\/name must match pattern/,
      ],
      ['a name that is a number', JSON.stringify({ name: 7, shape: circle() }), /body\/name must be string/],
      [
        'an unknown field',
        JSON.stringify({ name: 'X', shape: circle(), colour: 'red' }),
        /must NOT have additional properties/,
      ],
      ['no shape', JSON.stringify({ name: 'X' }), /body must have required property 'shape'/],
      [
        'an unknown kind of shape',
        JSON.stringify({ name: 'X', shape: { ...circle(), type: 'square' } }),
        /body\/shape\/type must be equal to constant/,
      ],
      [
        'a latitude of 91',
        JSON.stringify({ name: 'X', shape: circle(10, point(91, 0)) }),
        /body\/shape\/center\/lat must be <= 90/,
      ],
      [
        'a latitude of -90.5',
        JSON.stringify({ name: 'X', shape: circle(10, point(-90.5, 0)) }),
        /center\/lat must be >= -90/,
      ],
      [
        'a longitude of -181',
        JSON.stringify({ name: 'X', shape: circle(10, point(0, -181)) }),
        /center\/lng must be >= -180/,
      ],
      [
        'a latitude as text',
        JSON.stringify({ name: 'X', shape: circle(10, { lat: '53', lng: 0 } as never) }),
        /center\/lat must be number/,
      ],
      ['a radius of 0.5 m', JSON.stringify({ name: 'X', shape: circle(0.5) }), /radiusMetres must be >= 1/],
      [
        'a radius of 100.001 km',
        JSON.stringify({ name: 'X', shape: circle(100_001) }),
        /radiusMetres must be <= 100000/,
      ],
      [
        'a radius too large for a number',
        '{"name":"X","shape":{"type":"circle","center":{"lat":1,"lng":1},"radiusMetres":1e400}}',
        /radiusMetres must be/,
      ],
      [
        'a latitude too small for a number',
        '{"name":"X","shape":{"type":"circle","center":{"lat":-1e400,"lng":1},"radiusMetres":5}}',
        /center\/lat must be/,
      ],
      [
        'a radius that is null',
        JSON.stringify({ name: 'X', shape: { ...circle(), radiusMetres: null } }),
        /radiusMetres must be number/,
      ],
      [
        'a circle without a centre',
        JSON.stringify({ name: 'X', shape: { type: 'circle', radiusMetres: 5 } }),
        /required property 'center'/,
      ],
      [
        'a polygon of 2 points',
        JSON.stringify({ name: 'X', shape: { type: 'polygon', points: many(2) } }),
        /points must NOT have fewer than 3 items/,
      ],
      [
        'a polygon of 501 points',
        JSON.stringify({ name: 'X', shape: { type: 'polygon', points: many(501) } }),
        /points must NOT have more than 500 items/,
      ],
      [
        'a polygon point with a longitude of 200',
        JSON.stringify({
          name: 'X',
          shape: { type: 'polygon', points: [point(0, 0), point(1, 0), point(1, 200)] },
        }),
        /points\/2\/lng must be <= 180/,
      ],
      [
        'a polygon whose edges cross',
        JSON.stringify({
          name: 'X',
          shape: { type: 'polygon', points: [point(0, 0), point(1, 1), point(1, 0), point(0, 1)] },
        }),
        /body\/shape: the edges from points 0 and 2 cross/,
      ],
      [
        'a polygon with a corner repeated',
        JSON.stringify({
          name: 'X',
          shape: { type: 'polygon', points: [point(0, 0), point(1, 0), point(1, 0), point(0, 1)] },
        }),
        /points 1 and 2 are the same place/,
      ],
      [
        'a polygon across the antimeridian',
        JSON.stringify({
          name: 'X',
          shape: { type: 'polygon', points: [point(0, 179), point(1, -179), point(-1, -179)] },
        }),
        /antimeridian/,
      ],
      ['a body that is not JSON', '{"name": "X", "shape": ', /Body is not valid JSON|Unexpected end/],
      ['a body that is an array', '[]', /body must be object/],
    ]
    const before = (await call('GET', '/geofences')).json<Geofence[]>().length
    for (const [what, raw, detail] of cases) {
      refused(await call('POST', '/geofences', { raw }), 400, detail, `POST ${what}`)
      const fence = (await call('GET', '/geofences')).json<Geofence[]>()[0]!
      refused(await call('PUT', `/geofences/${fence.id}`, { raw }), 400, detail, `PUT ${what}`)
    }
    assert.equal((await call('GET', '/geofences')).json<Geofence[]>().length, before)
  })

  test('the largest polygon, 500 points, is taken', async () => {
    const points = Array.from({ length: 500 }, (_, i) => ({
      lat: 53.38 + 0.05 * Math.sin((2 * Math.PI * i) / 500),
      lng: -1.47 + 0.08 * Math.cos((2 * Math.PI * i) / 500),
    }))
    const fence = await create('Ring Road', { type: 'polygon', points })
    assert.equal(fence.shape.type === 'polygon' && fence.shape.points.length, 500)
  })

  test('the rules start as the defaults; an admin replaces them whole, and a rule may be off', async () => {
    assert.deepEqual((await call('GET', '/fleet-rules')).json(), {
      overspeed: { limitKmh: 90, forSeconds: 30 },
      stopped: { forMinutes: 10 },
      noSignal: { forMinutes: 5 },
    })
    const rules = {
      overspeed: { limitKmh: 50.5, forSeconds: 0 },
      stopped: null,
      noSignal: { forMinutes: 1440 },
    }
    const put = await call('PUT', '/fleet-rules', { body: rules })
    assert.equal(put.statusCode, 200)
    assert.deepEqual(put.json(), rules)
    assert.deepEqual((await call('GET', '/fleet-rules', { role: 'viewer' })).json(), rules)
    await call('PUT', '/fleet-rules', { body: DEFAULT_RULES })
  })

  test('every bad rules document is a 400 and changes nothing', async () => {
    const rules = { ...DEFAULT_RULES }
    const cases: Array<[string, unknown, RegExp]> = [
      ['a rule missing', { overspeed: null, stopped: null }, /required property 'noSignal'/],
      ['an unknown rule', { ...rules, speeding: null }, /must NOT have additional properties/],
      [
        'a limit of 0 km/h',
        { ...rules, overspeed: { limitKmh: 0, forSeconds: 5 } },
        /overspeed\/limitKmh must be >= 1/,
      ],
      [
        'a limit of 501 km/h',
        { ...rules, overspeed: { limitKmh: 501, forSeconds: 5 } },
        /limitKmh must be <= 500/,
      ],
      [
        'negative seconds',
        { ...rules, overspeed: { limitKmh: 80, forSeconds: -1 } },
        /forSeconds must be >= 0/,
      ],
      [
        'fractional seconds',
        { ...rules, overspeed: { limitKmh: 80, forSeconds: 1.5 } },
        /forSeconds must be integer/,
      ],
      [
        'more than an hour',
        { ...rules, overspeed: { limitKmh: 80, forSeconds: 3601 } },
        /forSeconds must be <= 3600/,
      ],
      [
        'a limit as text',
        { ...rules, overspeed: { limitKmh: '80', forSeconds: 5 } },
        /limitKmh must be number/,
      ],
      ['0 minutes stopped', { ...rules, stopped: { forMinutes: 0 } }, /stopped\/forMinutes must be >= 1/],
      [
        'a day and a minute without signal',
        { ...rules, noSignal: { forMinutes: 1441 } },
        /noSignal\/forMinutes must be <= 1440/,
      ],
      ['a rule that is true', { ...rules, stopped: true }, /stopped must be object/],
      [
        'an extra field in a rule',
        { ...rules, stopped: { forMinutes: 5, kmh: 1 } },
        /must NOT have additional properties/,
      ],
    ]
    for (const [what, body, detail] of cases)
      refused(await call('PUT', '/fleet-rules', { body }), 400, detail, what)
    assert.deepEqual((await call('GET', '/fleet-rules')).json(), DEFAULT_RULES)
  })

  describe('events', () => {
    const T0 = Date.parse('2026-02-01T08:00:00.000Z')
    let depot: Geofence

    before(async () => {
      depot = await create('Events Depot', circle(50))
      const outside = { lat: SHEFFIELD.lat + 0.01, lng: SHEFFIELD.lng }
      const at = (vehicle: string, seconds: number, where: { lat: number; lng: number }) => ({
        vehicle,
        ...where,
        timestamp: new Date(T0 + seconds * 1000).toISOString(),
      })
      // Van A enters at 0 s and leaves at 60 s; Van B enters at 30 s.
      await repository.evaluate([at('Van A', 0, SHEFFIELD), at('Van B', 0, outside)], fenceCache())
      await repository.evaluate([at('Van B', 30, SHEFFIELD)], fenceCache())
      await repository.evaluate([at('Van A', 60, outside)], fenceCache())
    })

    const events = async (query: string, role: keyof typeof tokens = 'viewer') => {
      const response = await call('GET', `/events${query}`, { role })
      assert.equal(response.statusCode, 200, response.body)
      return response.json<FleetEvent[]>().filter((e) => e.geofence?.id === depot.id)
    }
    const kinds = (list: FleetEvent[]) => list.map((e) => `${e.vehicleName} ${e.kind}`)

    test('newest first, as the contract has them', async () => {
      const list = await events('')
      assert.deepEqual(kinds(list), [
        'Van A geofence.exited',
        'Van B geofence.entered',
        'Van A geofence.entered',
      ])
      assert.deepEqual(list[1], {
        version: 1,
        id: list[1]!.id,
        kind: 'geofence.entered',
        vehicleName: 'Van B',
        time: new Date(T0 + 30_000).toISOString(),
        lat: SHEFFIELD.lat,
        lng: SHEFFIELD.lng,
        geofence: { id: depot.id, name: 'Events Depot' },
        details: {},
      })
    })

    test('filtered by time, vehicle, kind and geofence, and cut at the limit', async () => {
      const iso = (seconds: number) => encodeURIComponent(new Date(T0 + seconds * 1000).toISOString())
      assert.deepEqual(kinds(await events(`?from=${iso(30)}`)), [
        'Van A geofence.exited',
        'Van B geofence.entered',
      ])
      assert.deepEqual(kinds(await events(`?from=${iso(0)}&to=${iso(30)}`)), [
        'Van B geofence.entered',
        'Van A geofence.entered',
      ])
      assert.deepEqual(kinds(await events('?vehicle=Van%20A')), [
        'Van A geofence.exited',
        'Van A geofence.entered',
      ])
      assert.deepEqual(kinds(await events('?kind=geofence.entered')), [
        'Van B geofence.entered',
        'Van A geofence.entered',
      ])
      assert.deepEqual(kinds(await events(`?geofence=${depot.id}&limit=1`)), ['Van A geofence.exited'])
      assert.deepEqual(await events('?geofence=4a4a4a4a-4a4a-4a4a-8a4a-4a4a4a4a4a4a'), [])
    })

    test('every bad query is a 400 that names the parameter', async () => {
      const cases: Array<[string, RegExp]> = [
        ['limit=0', /limit must be >= 1/],
        ['limit=1001', /limit must be <= 1000/],
        ['limit=ten', /limit/],
        ['limit=1e3', /limit/],
        ['limit=Infinity', /limit/],
        ['from=yesterday', /from must match/],
        ['to=2026-02-30T25:00:00Z', /to must match/],
        ['from=0000-01-01T00:00:00Z', /from must be an instant between 1970 and 9999/],
        ['from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z', /from must not be after to/],
        ['kind=speeding', /kind must be equal to one of the allowed values/],
        ['geofence=depot', /geofence must match format "uuid"/],
        [`vehicle=${'x'.repeat(101)}`, /vehicle must NOT have more than 100 characters/],
        ['vehicle=Van%E2%80%AE', /vehicle must match pattern/],
      ]
      for (const [query, detail] of cases)
        refused(await call('GET', `/events?${query}`, { role: 'viewer' }), 400, detail, query)
    })
  })
})
