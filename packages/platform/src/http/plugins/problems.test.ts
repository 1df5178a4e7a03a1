import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Fastify, { type InjectOptions } from 'fastify'
import Type from 'typebox'
import { TooManyRequestsError } from '../../errors/index.ts'
import { testLogger } from '../../testing/index.ts'
import { clientErrorProblem, frameworkErrorProblem, problems } from './problems.ts'

const app = Fastify({
  loggerInstance: testLogger(),
  bodyLimit: 100,
  clientErrorHandler: clientErrorProblem,
  frameworkErrors: frameworkErrorProblem,
})
await app.register(problems)
app.post('/echo', async (request) => request.body)
app.post(
  '/named',
  { schema: { body: Type.Object({ name: Type.String() }) } },
  async (request) => request.body,
)
app.get('/fail', async () => {
  throw new Error('secret internal detail')
})
app.get('/busy', async () => {
  throw new TooManyRequestsError('too many requests; try again shortly', 3)
})
app.get('/database', async () => {
  throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' })
})
const address = await app.listen({ port: 0, host: '127.0.0.1' })
after(() => app.close())

const problemOf = async (request: string | InjectOptions) => {
  const response = await app.inject(request)
  assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.json<{ type: string; title: string; status: number; detail: string }>(),
  }
}

test("Fastify's own 4xx errors are problems titled by their status, with no internal code", async () => {
  const tooLarge = await problemOf({ method: 'POST', url: '/echo', payload: { text: 'x'.repeat(200) } })
  assert.equal(tooLarge.status, 413)
  assert.equal(tooLarge.body.title, 'Payload Too Large')
  assert.match(tooLarge.body.type, /\/payload-too-large$/)
  const post = (payload: string, type: string) =>
    problemOf({ method: 'POST', url: '/echo', payload, headers: { 'content-type': type } })
  const badJson = await post('{"no', 'application/json')
  assert.equal(badJson.status, 400)
  assert.doesNotMatch(badJson.body.type, /fst_/i)
  const form = await post('a=b', 'text/csv')
  assert.equal(form.status, 415)
  assert.match(
    form.body.detail,
    /a text\/csv is not accepted here; send JSON with Content-Type: application\/json/,
  )
})

test('an app error is a problem with its own status, code and headers; a schema refusal a 400', async () => {
  const busy = await problemOf('/busy')
  assert.equal(busy.status, 429)
  assert.equal(busy.headers['retry-after'], '3')
  assert.deepEqual(busy.body, {
    type: 'https://convoy.dev/problems/too-many-requests',
    title: 'Too Many Requests',
    status: 429,
    detail: 'too many requests; try again shortly',
  })
  const refused = await problemOf({ method: 'POST', url: '/named', payload: {} })
  assert.equal(refused.status, 400)
  assert.equal(refused.body.detail, "body must have required property 'name'")
})

test('a 500 says nothing internal; an unreachable dependency is a 503 that names none', async () => {
  const failed = await problemOf('/fail')
  assert.equal(failed.status, 500)
  assert.doesNotMatch(JSON.stringify(failed.body), /secret/)
  const unavailable = await problemOf('/database')
  assert.equal(unavailable.status, 503)
  assert.doesNotMatch(JSON.stringify(unavailable.body), /10\.0\.0\.7|5432|ECONNREFUSED/)
})

test('a malformed URL is a 400 problem that does not echo it', async () => {
  const malformed = await problemOf('/fail%zz')
  assert.equal(malformed.status, 400)
  assert.equal(malformed.body.detail, 'the URL is malformed')
})

test('a request whose headers are too large is a 431 problem, straight from the parser', async () => {
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
})
