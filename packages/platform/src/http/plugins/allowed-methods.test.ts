import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { allowedMethods, mirrorRoutes, type NoRoute, ROUTER_OPTIONS } from './allowed-methods.ts'
import { problems } from './problems.ts'

const app = Fastify({ routerOptions: ROUTER_OPTIONS }) as unknown as FastifyInstance & NoRoute
const routes = mirrorRoutes(app)
await app.register(problems)
await app.register(allowedMethods, { routes })
app.get('/items/:id', async (request) => request.params)
app.delete('/items/:id', async (_request, reply) => reply.code(204).send())
app.get('/api/vehicles', async () => [])
// The rest of /api, any method, like the gateway's fallback: its methods do not count as taken.
app.all('/api/*', { config: { fallback: true } }, async (request) => {
  throw app.noRoute(request)
})
after(() => app.close())

test('a path asked with a method it does not take is a 405 naming the ones it does; neither 405 nor 404 names the path', async () => {
  const wrong = await app.inject({ method: 'PUT', url: '/items/7' })
  assert.equal(wrong.statusCode, 405)
  assert.equal(wrong.headers.allow, 'DELETE, GET, HEAD')
  assert.deepEqual(wrong.json(), {
    type: 'https://convoy.dev/problems/method-not-allowed',
    title: 'Method Not Allowed',
    status: 405,
    detail: 'PUT is not allowed here; use DELETE or GET or HEAD',
  })
  assert.equal((await app.inject({ method: 'PUT', url: '/items/7/?x=1' })).statusCode, 405)
  const missing = await app.inject('/secret-internal-path/7')
  assert.equal(missing.statusCode, 404)
  assert.doesNotMatch(missing.body, /secret-internal-path/)
})

test("a fallback route's methods are not taken: the paths it answers for are 404s, or 405s for the routes beside it", async () => {
  assert.equal((await app.inject('/api/nowhere')).statusCode, 404)
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/nowhere' })).statusCode, 404)
  const wrong = await app.inject({ method: 'POST', url: '/api/vehicles' })
  assert.equal(wrong.statusCode, 405)
  assert.equal(wrong.headers.allow, 'GET, HEAD')
})
