import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { testLogger } from '../testing/index.ts'
import Type from 'typebox'
import { createHttpApp } from './index.ts'

const app = createHttpApp({
  service: 'test',
  log: testLogger(),
  bodyLimit: 100,
})
app.post('/echo', async (request) => request.body)
app.get('/fail', async () => {
  throw new Error('secret internal detail')
})
app.get('/items/:id', async (request) => request.params)
app.delete('/items/:id', async (_request, reply) => reply.code(204).send())
app.get(
  '/page',
  {
    schema: {
      querystring: Type.Object({
        limit: Type.Integer({ default: 10 }),
        exact: Type.Optional(Type.Boolean()),
      }),
    },
  },
  async (request) => request.query,
)
app.post(
  '/named',
  { schema: { body: Type.Object({ name: Type.String(), admin: Type.Optional(Type.Boolean()) }) } },
  async (request) => request.body,
)
app.get('/cached', async (_request, reply) =>
  reply.header('cache-control', 'public, max-age=60').send({ ok: true }),
)
after(() => app.close())

const problemOf = async (request: string | InjectOptions) => {
  const response = await app.inject(request)
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
  return {
    status: response.statusCode,
    body: response.json<{ type: string; title: string; status: number; detail: string }>(),
  }
}

test("Fastify's own 4xx errors are problems titled by their status, with no internal code", async () => {
  const tooLarge = await problemOf({ method: 'POST', url: '/echo', payload: { text: 'x'.repeat(200) } })
  assert.equal(tooLarge.status, 413)
  assert.equal(tooLarge.body.title, 'Payload Too Large')
  assert.match(tooLarge.body.type, /\/payload-too-large$/)
  const badJson = await problemOf({
    method: 'POST',
    url: '/echo',
    payload: '{"no',
    headers: { 'content-type': 'application/json' },
  })
  assert.equal(badJson.status, 400)
  assert.doesNotMatch(badJson.body.type, /fst_/i)
  const form = await problemOf({
    method: 'POST',
    url: '/echo',
    payload: 'a=b',
    headers: { 'content-type': 'text/csv' },
  })
  assert.equal(form.status, 415)
  assert.match(
    form.body.detail,
    /a text\/csv is not accepted here; send JSON with Content-Type: application\/json/,
  )
})

test('a 500 says nothing internal', async () => {
  const failed = await problemOf('/fail')
  assert.equal(failed.status, 500)
  assert.doesNotMatch(JSON.stringify(failed.body), /secret/)
})

test('a trailing slash reaches the same route', async () => {
  assert.deepEqual((await app.inject('/items/7/')).json(), { id: '7' })
})

test('echoes a valid x-request-id and replaces an invalid one', async () => {
  assert.equal(
    (await app.inject({ url: '/items/1', headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id'],
    'abc-123',
  )
  const replaced = (await app.inject({ url: '/items/1', headers: { 'x-request-id': 'bad id\n' } })).headers[
    'x-request-id'
  ]
  assert.match(String(replaced), /^[0-9a-f-]{36}$/)
})

test('a request whose headers are too large is a 431 problem, straight from the parser', async () => {
  const server = createHttpApp({ service: 'test', log: testLogger() })
  const address = await server.listen({ port: 0, host: '127.0.0.1' })
  try {
    const response = await fetch(`${address}/anything`, {
      headers: { authorization: `Basic ${'A'.repeat(64 * 1024)}` },
    })
    assert.equal(response.status, 431)
    assert.equal(response.headers.get('content-type'), 'application/problem+json')
    assert.deepEqual(await response.json(), {
      type: 'https://convoy.dev/problems/request-header-fields-too-large',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: 'the request headers are too large',
    })
  } finally {
    await server.close()
  }
})

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
  const missing = await app.inject('/secret-internal-path/7')
  assert.equal(missing.statusCode, 404)
  assert.doesNotMatch(missing.body, /secret-internal-path/)
})

test('query numbers are decimal integers or a 400; JSON bodies are never coerced', async () => {
  assert.deepEqual((await app.inject('/page?limit=16&exact=true')).json(), { limit: 16, exact: true })
  assert.deepEqual((await app.inject('/page')).json(), { limit: 10 })
  for (const limit of [
    '0x10',
    '1e3',
    'Infinity',
    '-Infinity',
    '1e400',
    '9'.repeat(400),
    '+5',
    '%205',
    '5.0',
    '',
  ])
    assert.equal((await problemOf(`/page?limit=${limit}`)).status, 400, `limit=${limit}`)
  assert.equal((await problemOf('/page?limit=1&exact=1')).status, 400, 'exact=1 is not a boolean')
  for (const body of [
    { name: 123 },
    { name: 'ann', admin: 'true' },
    { name: 'ann', admin: 1 },
    { name: null },
  ]) {
    const refused = await problemOf({ method: 'POST', url: '/named', payload: body })
    assert.equal(refused.status, 400, JSON.stringify(body))
    assert.match(refused.body.detail, /^body\/(name|admin) must be (string|boolean)$/)
  }
})

test('answers are never sniffed nor cached unless a route says otherwise', async () => {
  for (const url of ['/items/1', '/fail', '/nowhere']) {
    const response = await app.inject(url)
    assert.equal(response.headers['x-content-type-options'], 'nosniff', url)
    assert.equal(response.headers['cache-control'], 'no-store', url)
  }
  const cached = await app.inject('/cached')
  assert.equal(cached.headers['cache-control'], 'public, max-age=60')
  assert.equal(cached.headers['x-content-type-options'], 'nosniff')
})
