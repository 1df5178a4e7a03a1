import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Type from 'typebox'
import { UnauthorizedError } from '../errors/index.ts'
import { createMetrics } from '../metrics/index.ts'
import { createLogger } from '../log/index.ts'
import { testLogger } from '../testing/index.ts'
import { createHttpApp } from './index.ts'

// As a service does: hooks and routes added at once, before the app starts and its plugins load.
const metrics = createMetrics('test')
const app = createHttpApp({ service: 'test', log: testLogger(), metrics, bodyLimit: 100 })
app.addHook('onRequest', async (request) => {
  if (request.url.startsWith('/private')) throw new UnauthorizedError('sign in first')
})
app.get('/items/:id', async (request) => request.params)
app.delete('/items/:id', async (_request, reply) => reply.code(204).send())
app.post(
  '/named',
  { schema: { body: Type.Object({ name: Type.String() }) } },
  async (request) => request.body,
)
after(() => app.close())

test('the registry is there at once, and holds the request metrics', async () => {
  assert.equal(app.metricsRegistry, metrics)
  await app.inject('/items/1')
  assert.match(
    await metrics.metrics(),
    /^http_server_request_duration_seconds_count\{service="test",method="GET",route="\/items\/:id",status_code="200"\} 1$/m,
  )
})

test("the platform's hooks run before the caller's: a request it refuses has its id, its headers and a problem", async () => {
  const refused = await app.inject({ url: '/private', headers: { 'x-request-id': 'abc-123' } })
  assert.equal(refused.statusCode, 401)
  assert.equal(refused.headers['x-request-id'], 'abc-123')
  assert.equal(refused.headers['x-content-type-options'], 'nosniff')
  assert.equal(refused.headers['www-authenticate'], 'Bearer realm="convoy"')
  assert.match(refused.headers['content-type'] ?? '', /^application\/problem\+json/)
})

test('routes added at once are known to the 405s', async () => {
  const wrong = await app.inject({ method: 'PUT', url: '/items/7' })
  assert.equal(wrong.statusCode, 405)
  assert.equal(wrong.headers.allow, 'DELETE, GET, HEAD')
})

test("Fastify's options are the platform's: a trailing slash, no coercion, the body limit, malformed URLs", async () => {
  assert.deepEqual((await app.inject('/items/7/')).json(), { id: '7' })
  const coerced = await app.inject({ method: 'POST', url: '/named', payload: { name: 123 } })
  assert.equal(coerced.statusCode, 400)
  assert.equal(coerced.json<{ detail: string }>().detail, 'body/name must be string')
  const tooLarge = await app.inject({ method: 'POST', url: '/named', payload: { name: 'x'.repeat(200) } })
  assert.equal(tooLarge.statusCode, 413)
  const malformed = await app.inject('/items/%zz')
  assert.equal(malformed.statusCode, 400)
  assert.equal(malformed.json<{ detail: string }>().detail, 'the URL is malformed')
})

test("a service takes the caller's x-request-id (the gateway's) and every log line of the request carries it as reqId", async () => {
  const lines: Array<{ reqId?: string; msg: string }> = []
  const logged = createHttpApp({
    service: 'test',
    log: createLogger({
      service: 'test',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[0]) },
    }),
  })
  logged.get('/work', async (request) => {
    request.log.info('working')
    return {}
  })
  after(() => logged.close())
  const response = await logged.inject({ url: '/work', headers: { 'x-request-id': 'from-gateway-1' } })
  assert.equal(response.headers['x-request-id'], 'from-gateway-1')
  assert.deepEqual(
    lines.filter((line) => line.msg === 'working').map((line) => line.reqId),
    ['from-gateway-1'],
  )
})
