import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { WebSocket } from 'ws'
import { eventually, testIssuer, testLogger, type TestIssuer } from '@convoy/platform/testing'
import { buildApp } from './app.ts'
import { createLiveHub } from './live-hub.ts'

/** Stand-ins for the tracker and web upstreams: they echo what reached them. */
async function upstream(name: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ routerOptions: { maxParamLength: 100_000 } })
  // Any body is fine: it is read and dropped.
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume()
    payload.once('end', () => done(null))
  })
  app.all('/*', async (request, reply) => {
    if (request.url.includes('hang')) return new Promise(() => {}) // never answers
    if (request.url.includes('bad')) {
      return reply
        .code(400)
        .type('application/problem+json')
        .send({ type: 'x', title: 'Bad Request', status: 400, detail: 'bad' })
    }
    return {
      upstream: name,
      method: request.method,
      url: request.url,
      forwardedFor: request.headers['x-forwarded-for'],
      authorization: request.headers.authorization,
      expect: request.headers.expect,
    }
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}

describe('gateway routing', () => {
  let auth: Awaited<ReturnType<typeof upstream>>
  let tracker: Awaited<ReturnType<typeof upstream>>
  let web: Awaited<ReturnType<typeof upstream>>
  let media: Awaited<ReturnType<typeof upstream>>
  let notification: Awaited<ReturnType<typeof upstream>>
  let app: Awaited<ReturnType<typeof buildApp>>
  let issuer: TestIssuer
  let hub: ReturnType<typeof createLiveHub>
  let bearer: string

  before(async () => {
    issuer = await testIssuer()
    bearer = `Bearer ${await issuer.token({ sub: 'ann', role: 'viewer' })}`
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
    app = await buildApp({
      service: 'gateway',
      log: testLogger(),
      hub,
      verifier: issuer.verifier,
      authUrl: auth.url,
      trackerUrl: tracker.url,
      webUrl: web.url,
      mediaUrl: media.url,
      notificationUrl: notification.url,
      upstreamTimeoutMs: 300,
      uploadTimeoutMs: 1000,
      maxUploadBytes: 100_000,
    })
  })
  after(async () => {
    hub.close()
    await app.close()
    await web.close()
    await media.close()
    await notification.close()
    await auth.close()
    await tracker.close().catch(() => {}) // closed by the last test already
  })

  const get = (url: string) => app.inject({ url, headers: { authorization: bearer } })

  test('routes /api/vehicles… to the tracker, rewriting the prefix and keeping the query', async () => {
    const response = await get('/api/vehicles/City%20Truck/history?limit=5')
    assert.equal(response.statusCode, 200)
    const reached = (body: { upstream: string; url: string }) => [body.upstream, body.url]
    assert.deepEqual(reached(response.json()), ['tracker', '/vehicles/City%20Truck/history?limit=5'])
    assert.deepEqual(reached((await get('/api/vehicles')).json()), ['tracker', '/vehicles'])
  })

  test('routes /api/media… to media (uploads, reads, deletes) and /api/notifications… to notification', async () => {
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

  test('routes /api/auth… to auth with any method, token or not, naming the client address', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '203.0.113.9' })
    assert.deepEqual(login.json(), {
      upstream: 'auth',
      method: 'POST',
      url: '/auth/login',
      forwardedFor: '203.0.113.9',
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

  test('routes everything else to web', async () => {
    const body = (await app.inject('/assets/app.js')).json<{ upstream: string; url: string }>()
    assert.deepEqual([body.upstream, body.url], ['web', '/assets/app.js'], 'the app itself needs no token')
  })

  test('answers 404 problem+json for an unknown API path instead of the web app', async () => {
    const response = await get('/api/nothing-here?x=1')
    assert.equal(response.statusCode, 404)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /no route for GET \/api\/nothing-here$/)
  })

  test('refuses writes to read-only routes', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/vehicles',
      payload: {},
      headers: { authorization: bearer },
    })
    assert.equal(response.statusCode, 404)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
  })

  test('disconnects a live client that sends an oversized message, and keeps serving the others', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
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

  test('answers 504 problem+json when the tracker does not answer in time, instead of hanging', async () => {
    const response = await get('/api/vehicles/hang')
    assert.equal(response.statusCode, 504)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /position-tracker did not answer within 300 ms/)
  })

  test('answers 503 problem+json naming the service when the tracker is down', async () => {
    await tracker.close()
    const response = await get('/api/vehicles')
    assert.equal(response.statusCode, 503)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /position-tracker is unavailable/)
  })
})
