import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { testLogger } from '../testing/index.ts'
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
