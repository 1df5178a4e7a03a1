import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { WebSocket } from 'ws'
import { eventually, testLogger } from '@convoy/platform/testing'
import { buildApp } from './app.ts'
import { createLiveHub } from './live-hub.ts'

/** Stand-ins for the tracker and web upstreams: they echo what reached them. */
async function upstream(name: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ routerOptions: { maxParamLength: 100_000 } })
  app.get('/*', async (request, reply) => {
    if (request.url.includes('hang')) return new Promise(() => {}) // never answers
    if (request.url.includes('bad')) {
      return reply
        .code(400)
        .type('application/problem+json')
        .send({ type: 'x', title: 'Bad Request', status: 400, detail: 'bad' })
    }
    return { upstream: name, url: request.url }
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}

describe('gateway routing', () => {
  let tracker: Awaited<ReturnType<typeof upstream>>
  let web: Awaited<ReturnType<typeof upstream>>
  let app: Awaited<ReturnType<typeof buildApp>>
  const hub = createLiveHub({
    log: testLogger(),
    metrics: new Registry(),
    flushMs: 50,
    maxBufferedBytes: 1e6,
    maxClients: 10,
    pingMs: 1e5,
  })

  before(async () => {
    tracker = await upstream('tracker')
    web = await upstream('web')
    app = await buildApp({
      service: 'gateway',
      log: testLogger(),
      hub,
      trackerUrl: tracker.url,
      webUrl: web.url,
      upstreamTimeoutMs: 300,
    })
  })
  after(async () => {
    hub.close()
    await app.close()
    await web.close()
    await tracker.close().catch(() => {}) // closed by the last test already
  })

  test('routes /api/vehicles… to the tracker, rewriting the prefix and keeping the query', async () => {
    const response = await app.inject('/api/vehicles/City%20Truck/history?limit=5')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { upstream: 'tracker', url: '/vehicles/City%20Truck/history?limit=5' })
    assert.deepEqual((await app.inject('/api/vehicles')).json(), { upstream: 'tracker', url: '/vehicles' })
  })

  test("passes the tracker's problem+json through unchanged", async () => {
    const response = await app.inject('/api/vehicles/bad')
    assert.equal(response.statusCode, 400)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
  })

  test('routes everything else to web', async () => {
    assert.deepEqual((await app.inject('/assets/app.js')).json(), { upstream: 'web', url: '/assets/app.js' })
  })

  test('answers 404 problem+json for an unknown API path instead of the web app', async () => {
    const response = await app.inject('/api/nothing-here?x=1')
    assert.equal(response.statusCode, 404)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /no route for GET \/api\/nothing-here$/)
  })

  test('refuses writes to read-only routes', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/vehicles', payload: {} })
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
    await eventually(() => hub.size() === 1, 'registered')
    hub.publish([
      { name: 'Van', lat: 1, lng: 2, speedKmh: 3, heading: 4, timestamp: '2026-01-01T00:00:00.000Z' },
    ])
    await eventually(() => frames.some((f) => f.includes('"Van"')), 'a frame for the polite client')
    polite.close()
  })

  test('answers 504 problem+json when the tracker does not answer in time, instead of hanging', async () => {
    const response = await app.inject('/api/vehicles/hang')
    assert.equal(response.statusCode, 504)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /position-tracker did not answer within 300 ms/)
  })

  test('answers 503 problem+json naming the service when the tracker is down', async () => {
    await tracker.close()
    const response = await app.inject('/api/vehicles')
    assert.equal(response.statusCode, 503)
    assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/)
    assert.match(response.json<{ detail: string }>().detail, /position-tracker is unavailable/)
  })
})
