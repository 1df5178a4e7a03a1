import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Fastify from 'fastify'
import { requestIdOf, requestIds } from './request-id.ts'

const app = Fastify({ requestIdHeader: false, genReqId: requestIdOf })
await app.register(requestIds)
app.get('/id', async (request) => ({ id: request.id }))
after(() => app.close())

test('echoes a valid x-request-id and replaces an invalid one', async () => {
  const echoed = await app.inject({ url: '/id', headers: { 'x-request-id': 'abc-123' } })
  assert.equal(echoed.headers['x-request-id'], 'abc-123')
  assert.deepEqual(echoed.json(), { id: 'abc-123' })
  const replaced = (await app.inject({ url: '/id', headers: { 'x-request-id': 'bad id\n' } })).headers[
    'x-request-id'
  ]
  assert.match(String(replaced), /^[0-9a-f-]{36}$/)
})

test('a request without one gets a new one, and every answer carries it, a 404 too', async () => {
  const first = await app.inject('/nowhere')
  const second = await app.inject('/nowhere')
  assert.equal(first.statusCode, 404)
  assert.match(String(first.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id'])
})
