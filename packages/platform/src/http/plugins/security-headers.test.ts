import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Fastify from 'fastify'
import { securityHeaders } from './security-headers.ts'

const app = Fastify()
await app.register(securityHeaders)
app.get('/items/1', async () => ({ id: 1 }))
app.get('/fail', async () => {
  throw new Error('failed')
})
app.get('/cached', async (_request, reply) =>
  reply.header('cache-control', 'public, max-age=60').send({ ok: true }),
)
// Set on Node's response itself, as a library writing to it directly would: the route's own too.
app.get('/raw-cached', async (_request, reply) => {
  reply.raw.setHeader('cache-control', 'public, max-age=60')
  return { ok: true }
})
after(() => app.close())

test('answers are never sniffed nor cached unless a route says otherwise', async () => {
  for (const url of ['/items/1', '/fail', '/nowhere']) {
    const response = await app.inject(url)
    assert.equal(response.headers['x-content-type-options'], 'nosniff', url)
    assert.equal(response.headers['cache-control'], 'no-store', url)
  }
  for (const url of ['/cached', '/raw-cached']) {
    const cached = await app.inject(url)
    assert.equal(cached.headers['cache-control'], 'public, max-age=60', url)
    assert.equal(cached.headers['x-content-type-options'], 'nosniff', url)
  }
})
