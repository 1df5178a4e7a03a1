import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { freePorts, TEST_REDIS_URL as REDIS_URL, testLogger, uniqueName } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { buildApp } from './app.ts'
import { createLiveHub } from './live-hub.ts'
import { connectCounterStore, type RateLimitOptions } from './rate-limit.ts'
import { upstream } from './test-support.ts'

describe('overload at the gateway', () => {
  let issuer: TestIssuer
  let tracker: Awaited<ReturnType<typeof upstream>>
  const closers: Array<() => Promise<unknown>> = []

  before(async () => {
    issuer = await testIssuer()
    tracker = await upstream('tracker')
  })
  after(async () => {
    for (const close of closers.reverse()) await close()
    await tracker.close()
  })

  /** A gateway replica with the given limit, in front of the stand-in tracker (or `upstreams`). */
  async function gateway(
    rateLimit: RateLimitOptions,
    upstreams: Partial<Parameters<typeof buildApp>[0]> = {},
  ) {
    const hub = createLiveHub({
      log: testLogger(),
      metrics: new Registry(),
      flushMs: 1000,
      maxBufferedBytes: 1e6,
      maxClients: 10,
      pingMs: 1e5,
      verifier: issuer.verifier,
      authTimeoutMs: 5000,
    })
    const app = await buildApp({
      service: 'gateway',
      log: testLogger(),
      hub,
      verifier: issuer.verifier,
      authUrl: tracker.url,
      trackerUrl: tracker.url,
      fleetEventsUrl: tracker.url,
      webUrl: tracker.url,
      mediaUrl: tracker.url,
      notificationUrl: tracker.url,
      upstreamTimeoutMs: 2000,
      uploadTimeoutMs: 2000,
      maxUploadBytes: 1000,
      rateLimit,
      ...upstreams,
    })
    closers.push(async () => (hub.close(), await app.close()))
    return app
  }
  const vehicles = (app: Awaited<ReturnType<typeof gateway>>, token: string) =>
    app.inject({ url: '/api/vehicles', headers: { authorization: `Bearer ${token}` } })
  /** A connection to the store, once it is ready (until then requests go uncounted). */
  const store = async () => {
    const redis = connectCounterStore(REDIS_URL, testLogger())
    closers.push(() => redis.quit())
    await once(redis, 'ready')
    return redis
  }

  test('a user over the limit gets 429 problem+json with Retry-After, counted by every replica alike; others go on', async () => {
    const shared = { max: 5, windowMs: 60_000, redis: await store(), namespace: `${uniqueName('rate')}:` }
    const [first, second] = [await gateway(shared), await gateway(shared)]
    const ann = await issuer.token({ user: 'ann' })
    const statuses = []
    for (const app of [first, second, first, second, first, second])
      statuses.push((await vehicles(app, ann)).statusCode)
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429], 'five in all, whichever replica')
    const refused = await vehicles(first, ann)
    assert.equal(refused.statusCode, 429)
    assert.match(refused.headers['content-type'] ?? '', /^application\/problem\+json/)
    assert.match(refused.json<{ detail: string }>().detail, /too many requests: at most 5 per 60 s/)
    const wait = Number(refused.headers['retry-after'])
    assert.ok(wait > 0 && wait <= 60, `Retry-After ${wait}`)
    assert.equal(
      (await vehicles(second, await issuer.token({ user: 'bob' }))).statusCode,
      200,
      'bob has his own',
    )
  })

  test('before signing in, a client is its address', async () => {
    const app = await gateway({
      max: 2,
      windowMs: 60_000,
      redis: await store(),
      namespace: `${uniqueName('rate')}:`,
    })
    const login = (remoteAddress: string) =>
      app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress })
    assert.deepEqual(
      [
        (await login('198.51.100.1')).statusCode,
        (await login('198.51.100.1')).statusCode,
        (await login('198.51.100.1')).statusCode,
      ],
      [200, 200, 429],
    )
    assert.equal((await login('198.51.100.2')).statusCode, 200)
  })

  test('with its store unreachable the gateway counts nothing and serves on', async () => {
    const [closed] = await freePorts(1)
    const unreachable = connectCounterStore(`redis://127.0.0.1:${closed}`, testLogger())
    closers.push(async () => unreachable.disconnect())
    const app = await gateway({ max: 1, windowMs: 60_000, redis: unreachable })
    const ann = await issuer.token({ user: 'ann' })
    for (let i = 0; i < 3; i++) assert.equal((await vehicles(app, ann)).statusCode, 200)
  })

  test('requests beyond what a slow service is sent and queued for get 503 with Retry-After at once; other services are served', async () => {
    // A tracker that holds every request until told to answer.
    const held: Array<() => void> = []
    const arrived = new EventEmitter()
    const slow = Fastify({ forceCloseConnections: true })
    slow.get('/vehicles', async () => {
      await new Promise<void>((resolve) => (held.push(resolve), arrived.emit('request')))
      return []
    })
    const slowUrl = await slow.listen({ port: 0, host: '127.0.0.1' })
    closers.push(() => slow.close())
    const app = await gateway(
      { max: 1000, windowMs: 60_000 },
      { trackerUrl: slowUrl, upstreamLimits: { concurrency: 2, queue: 2 } },
    )
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const ann = { authorization: `Bearer ${await issuer.token({ user: 'ann' })}` }
    const get = (path: string) => fetch(`${address}${path}`, { headers: ann })

    const sent = [get('/api/vehicles'), get('/api/vehicles')]
    while (held.length < 2) await once(arrived, 'request')
    const more = [get('/api/vehicles'), get('/api/vehicles'), get('/api/vehicles')]
    // Two wait their turn; the third is told at once, while the tracker still holds the first two.
    const refused = await Promise.race(more)
    assert.equal(refused.status, 503)
    assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/)
    assert.equal(refused.headers.get('retry-after'), '1')
    const body = await refused.text()
    assert.match(body, /too many requests to this path/)
    assert.doesNotMatch(body, /tracker|127\.0\.0\.1/)
    assert.equal(held.length, 2)
    assert.equal((await get('/api/media')).status, 200, "media is not behind the tracker's line")

    while (held.length) held.shift()!()
    // The waiting two reach the tracker as the first two leave; let them through as they come.
    arrived.on('request', () => held.shift()?.())
    const statuses = (await Promise.all([...sent, ...more])).map((response) => response.status)
    assert.deepEqual(statuses.sort(), [200, 200, 200, 200, 503])
  })
})
