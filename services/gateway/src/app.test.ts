import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import { WebSocket } from 'ws'
import { createLogger } from '@convoy/platform/log'
import { eventually, sendMultipart, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp } from './app.ts'
import { upstream } from './test-support.ts'
import { createLiveHub } from './live-hub.ts'

describe('gateway routing', () => {
  let auth: Awaited<ReturnType<typeof upstream>>
  let tracker: Awaited<ReturnType<typeof upstream>>
  let web: Awaited<ReturnType<typeof upstream>>
  let media: Awaited<ReturnType<typeof upstream>>
  let notification: Awaited<ReturnType<typeof upstream>>
  let fleetEvents: Awaited<ReturnType<typeof upstream>>
  let app: Awaited<ReturnType<typeof buildApp>>
  let issuer: TestIssuer
  let hub: ReturnType<typeof createLiveHub>
  let bearer: string
  let address: string
  /** What the gateway logs at info and above. */
  const logLines: Array<{ level: string; msg: string; err?: unknown }> = []

  before(async () => {
    issuer = await testIssuer()
    bearer = `Bearer ${await issuer.token({ user: 'ann', role: 'viewer' })}`
    hub = createLiveHub({
      log: testLogger(),
      metrics: new Registry(),
      flushMs: 50,
      maxBufferedBytes: 1e6,
      maxClients: 10,
      pingMs: 1e5,
      verifier: issuer.verifier,
      authTimeoutMs: 5000,
    })
    auth = await upstream('auth')
    tracker = await upstream('tracker')
    web = await upstream('web')
    media = await upstream('media')
    notification = await upstream('notification')
    fleetEvents = await upstream('fleet-events')
    app = await buildApp({
      service: 'gateway',
      log: createLogger({
        service: 'gateway',
        level: 'info',
        destination: {
          write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[0]),
        },
      }),
      hub,
      verifier: issuer.verifier,
      authUrl: auth.url,
      trackerUrl: tracker.url,
      fleetEventsUrl: fleetEvents.url,
      webUrl: web.url,
      mediaUrl: media.url,
      notificationUrl: notification.url,
      upstreamTimeoutMs: 300,
      uploadTimeoutMs: 1000,
      maxUploadBytes: 100_000,
      rateLimit: { max: 10_000, windowMs: 60_000 },
    })
    address = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    hub.close()
    await app.close()
    await web.close()
    await media.close()
    await notification.close()
    await fleetEvents.close()
    await auth.close()
    await tracker.close().catch(() => {}) // closed by the last test already
  })

  const get = (url: string) => app.inject({ url, headers: { authorization: bearer } })

  test('forwards /api/vehicles… to the tracker, rewriting the prefix and keeping the query', async () => {
    const response = await get('/api/vehicles/City%20Truck/history?limit=5')
    assert.equal(response.statusCode, 200)
    const reached = (body: { upstream: string; url: string }) => [body.upstream, body.url]
    assert.deepEqual(reached(response.json()), ['tracker', '/vehicles/City%20Truck/history?limit=5'])
    assert.deepEqual(reached((await get('/api/vehicles')).json()), ['tracker', '/vehicles'])
  })

  test('forwards /api/media… to media (uploads, reads, deletes) and /api/notifications… to notification', async () => {
    const reached = async (method: string, url: string) => {
      const response = await app.inject({ method, url, headers: { authorization: bearer } })
      const body = response.json<{ upstream: string; method: string; url: string; authorization: string }>()
      return [body.upstream, body.method, body.url, body.authorization === bearer]
    }
    assert.deepEqual(await reached('POST', '/api/media'), ['media', 'POST', '/media', true])
    assert.deepEqual(await reached('GET', '/api/media'), ['media', 'GET', '/media', true])
    assert.deepEqual(await reached('GET', '/api/media/42/mp3'), ['media', 'GET', '/media/42/mp3', true])
    assert.deepEqual(await reached('DELETE', '/api/media/42'), ['media', 'DELETE', '/media/42', true])
    assert.deepEqual(await reached('GET', '/api/notifications/emails'), [
      'notification',
      'GET',
      '/notifications/emails',
      true,
    ])
    for (const [method, url] of [
      ['GET', '/api/media'],
      ['POST', '/api/media'],
      ['GET', '/api/notifications'],
    ]) {
      assert.equal((await app.inject({ method: method as 'GET', url })).statusCode, 401, `${method} ${url}`)
    }
    // The converter's side of media is not public.
    assert.equal((await get('/api/internal/media/42/video')).statusCode, 404)
    for (const url of [
      '/api/media/../internal/media/42/video',
      '/api/media/%2e%2e/internal/media/42/video',
    ]) {
      const body = (await get(url)).json<{ upstream?: string; url?: string }>()
      assert.ok(
        !(body.upstream === 'media' && body.url?.startsWith('/internal')),
        `${url} reached ${body.url}`,
      )
    }
  })

  test('forwards /api/geofences…, /api/fleet-rules and /api/events to fleet-events, with the methods each takes', async () => {
    const reached = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string) => {
      const response = await app.inject({ method, url, headers: { authorization: bearer } })
      const body = response.json<{ upstream: string; method: string; url: string; authorization: string }>()
      return [body.upstream, body.method, body.url, body.authorization === bearer]
    }
    const id = '4a4a4a4a-4a4a-4a4a-8a4a-4a4a4a4a4a4a'
    assert.deepEqual(await reached('GET', '/api/geofences'), ['fleet-events', 'GET', '/geofences', true])
    assert.deepEqual(await reached('POST', '/api/geofences'), ['fleet-events', 'POST', '/geofences', true])
    assert.deepEqual(await reached('PUT', `/api/geofences/${id}`), [
      'fleet-events',
      'PUT',
      `/geofences/${id}`,
      true,
    ])
    assert.deepEqual(await reached('DELETE', `/api/geofences/${id}`), [
      'fleet-events',
      'DELETE',
      `/geofences/${id}`,
      true,
    ])
    assert.deepEqual(await reached('PUT', '/api/fleet-rules'), ['fleet-events', 'PUT', '/fleet-rules', true])
    assert.deepEqual(await reached('GET', '/api/events?kind=overspeed&limit=5'), [
      'fleet-events',
      'GET',
      '/events?kind=overspeed&limit=5',
      true,
    ])
    for (const [method, url] of [
      ['GET', '/api/geofences'],
      ['PUT', '/api/fleet-rules'],
      ['GET', '/api/events'],
    ] as const)
      assert.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url}`)
    // A method fleet-events does not take on a path is refused here, with what it does take.
    const refused = await app.inject({
      method: 'DELETE',
      url: '/api/events',
      headers: { authorization: bearer },
    })
    assert.equal(refused.statusCode, 405)
    assert.equal(refused.headers.allow, 'GET, HEAD')
  })

  test('refuses an upload declaring more than the limit with 413 at the edge; media never sees it', async () => {
    const upload = (length: number) =>
      app.inject({
        method: 'POST',
        url: '/api/media',
        payload: Buffer.alloc(length),
        headers: {
          authorization: bearer,
          'content-type': 'multipart/form-data; boundary=x',
          expect: '100-continue',
        },
      })
    const tooLarge = await upload(100_000 + 64 * 1024 + 1)
    assert.equal(tooLarge.statusCode, 413)
    assert.match(tooLarge.json<{ detail: string }>().detail, /larger than the limit of 100000 bytes/)
    const fits = await upload(100_000)
    assert.equal(fits.statusCode, 200, fits.body)
    assert.equal(fits.json<{ upstream: string; expect?: string }>().upstream, 'media')
    assert.equal(
      fits.json<{ expect?: string }>().expect,
      undefined,
      'Expect was answered here, not passed on',
    )
  })

  test('the request id travels upstream: the one the client sent, else the one answered with', async () => {
    const upstreamSaw = async (headers: Record<string, string>, url = '/api/vehicles') => {
      const response = await app.inject({ url, headers: { authorization: bearer, ...headers } })
      assert.equal(response.statusCode, 200)
      const answered = response.headers['x-request-id']
      assert.equal(response.json<{ requestId?: string }>().requestId, answered, url)
      return String(answered)
    }
    assert.equal(await upstreamSaw({ 'x-request-id': 'client-id-1' }), 'client-id-1')
    const generated = await upstreamSaw({})
    assert.match(generated, /^[0-9a-f-]{36}$/)
    // An id the gateway refused is replaced, and the replacement is what travels.
    assert.match(await upstreamSaw({ 'x-request-id': 'bad id' }), /^[0-9a-f-]{36}$/)
    // Every upstream gets it: auth, media, notification and the web app too.
    for (const url of ['/api/auth/me', '/api/media', '/api/notifications/emails', '/index.html'])
      assert.match(await upstreamSaw({}, url), /^[0-9a-f-]{36}$/)
  })

  test("passes the tracker's problem+json through unchanged", async () => {
    const response = await get('/api/vehicles/bad')
    assert.equal(response.statusCode, 400)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
  })

  test('every /api route but login, refresh and the JWKS needs a valid token', async () => {
    for (const url of [
      '/api/vehicles',
      '/api/vehicles/Van/history',
      '/api/auth/me',
      '/api/auth/users',
      '/api/nothing',
    ]) {
      const response = await app.inject(url)
      assert.equal(response.statusCode, 401, url)
      assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
      assert.match(String(response.headers['www-authenticate']), /^Bearer/)
    }
    const expired = await app.inject({
      url: '/api/vehicles',
      headers: { authorization: `Bearer ${await issuer.token({ ttlSeconds: -120 })}` },
    })
    assert.equal(expired.statusCode, 401)
    assert.match(expired.json<{ detail: string }>().detail, /expired/)
  })

  test('forwards /api/auth… to auth with any method, token or not, naming the client address', async () => {
    // Whatever the client says it is: no proxy is trusted by default.
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-for': '10.1.2.3' },
    })
    assert.deepEqual(login.json(), {
      upstream: 'auth',
      method: 'POST',
      url: '/auth/login',
      forwardedFor: '203.0.113.9',
      requestId: login.headers['x-request-id'],
    })
    for (const url of ['/api/auth/refresh', '/api/auth/.well-known/jwks.json']) {
      assert.equal(
        (await app.inject({ method: url.endsWith('json') ? 'GET' : 'POST', url })).statusCode,
        200,
        url,
      )
    }
    const patch = await app.inject({
      method: 'PATCH',
      url: '/api/auth/users/bob',
      headers: { authorization: bearer },
    })
    assert.equal(
      patch.json<{ authorization: string }>().authorization,
      bearer,
      'the token goes on to the service',
    )
  })

  test("forwards a user's own preferences to auth, read and replaced (PUT), with their token", async () => {
    for (const method of ['GET', 'PUT'] as const) {
      const response = await app.inject({
        method,
        url: '/api/auth/me/preferences',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        payload: method === 'PUT' ? '{"units":"imperial"}' : undefined,
      })
      const body = response.json<{ upstream: string; method: string; url: string; authorization: string }>()
      assert.deepEqual(
        [body.upstream, body.method, body.url, body.authorization === bearer],
        ['auth', method, '/auth/me/preferences', true],
      )
    }
    const anonymous = await app.inject({ method: 'PUT', url: '/api/auth/me/preferences', payload: {} })
    assert.equal(anonymous.statusCode, 401, 'the token is checked here first')
  })

  test("never forwards auth's internal reads (revocations, alert recipients), however the path is written", async () => {
    for (const url of [
      '/api/internal/alert-recipients',
      '/api/auth/../internal/alert-recipients',
      '/api/auth/%2e%2e/internal/alert-recipients',
      '/api/auth/..%2finternal/alert-recipients',
      '/api/auth/../internal/revocations',
      '/internal/alert-recipients',
    ]) {
      const body = (await get(url)).json<{ upstream?: string; url?: string }>()
      assert.ok(
        !(body.upstream === 'auth' && !body.url?.startsWith('/auth/')),
        `${url} reached auth's ${body.url}`,
      )
    }
  })

  test('forwards everything else to web', async () => {
    const body = (await app.inject('/assets/app.js')).json<{ upstream: string; url: string }>()
    assert.deepEqual([body.upstream, body.url], ['web', '/assets/app.js'], 'the app itself needs no token')
  })

  test('answers 404 problem+json for an unknown API path instead of the web app', async () => {
    const response = await get('/api/nothing-here?x=1')
    assert.equal(response.statusCode, 404)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /nothing here/)
  })

  test('a method a route does not take is a 405 with the ones it does', async () => {
    for (const [method, url, allow] of [
      ['POST', '/api/vehicles', 'GET, HEAD'],
      ['PUT', '/api/vehicles', 'GET, HEAD'],
      ['DELETE', '/api/vehicles/Van', 'GET, HEAD'],
      ['PATCH', '/api/media/42', 'DELETE, GET, HEAD, POST'],
      ['DELETE', '/api/notifications', 'GET, HEAD'],
      ['POST', '/assets/app.js', 'GET, HEAD'],
    ]) {
      const response = await app.inject({ method: method as 'GET', url, headers: { authorization: bearer } })
      assert.equal(response.statusCode, 405, `${method} ${url}`)
      assert.equal(response.headers.allow, allow, `${method} ${url}`)
      assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    }
  })

  test('a client abandoning uploads is an info line without a stack, never a warning', async () => {
    const seen = logLines.length
    for (let i = 0; i < 20; i++) {
      const result = await sendMultipart(`${address}/api/media`, bearer.slice('Bearer '.length), {
        total: 90_000,
        declare: true,
        abortAfter: 40_000,
      })
      assert.equal(result.status, undefined, 'the client went away before any answer')
    }
    await eventually(
      () => logLines.slice(seen).filter((line) => line.msg.includes('the client went away')).length >= 20,
      'each abandoned upload logged',
    )
    const loud = logLines.slice(seen).filter((line) => line.level !== 'info')
    assert.deepEqual(loud, [])
    assert.doesNotMatch(JSON.stringify(logLines.slice(seen)), /"stack"/)
  })

  test('disconnects a live client that sends an oversized message, and keeps serving the others', async () => {
    const url = `${address.replace('http', 'ws')}/api/live`
    const rude = new WebSocket(url)
    await once(rude, 'open')
    rude.send('x'.repeat(100_000))
    const [code] = (await once(rude, 'close')) as [number]
    assert.equal(code, 1009)
    const polite = new WebSocket(url)
    const frames: string[] = []
    polite.on('message', (data: Buffer) => frames.push(data.toString()))
    await once(polite, 'open')
    polite.send(JSON.stringify({ type: 'auth', token: bearer.slice('Bearer '.length) }))
    await eventually(() => hub.size() === 1, 'registered')
    hub.publish([
      { name: 'Van', lat: 1, lng: 2, speedKmh: 3, heading: 4, timestamp: '2026-01-01T00:00:00.000Z' },
    ])
    await eventually(() => frames.some((f) => f.includes('"Van"')), 'a frame for the polite client')
    polite.close()
  })

  /** An answer that names no service, internal address or port: those are not the caller's business. */
  const saysNothingInternal = (body: string) => {
    assert.doesNotMatch(body, /tracker|127\.0\.0\.1|localhost|:\d{4,5}\b|\/vehicles/)
  }

  test('answers 504 problem+json when the tracker does not answer in time, instead of hanging', async () => {
    const response = await get('/api/vehicles/hang')
    assert.equal(response.statusCode, 504)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /did not answer in time/)
    saysNothingInternal(response.body)
  })

  test('answers 503 problem+json when the tracker is down, naming it only in the log', async () => {
    await tracker.close()
    const response = await get('/api/vehicles')
    assert.equal(response.statusCode, 503)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /unavailable/)
    saysNothingInternal(response.body)
    assert.ok(
      logLines.some(
        (line) => line.msg === 'upstream request failed' && JSON.stringify(line).includes('position-tracker'),
      ),
    )
  })
})
