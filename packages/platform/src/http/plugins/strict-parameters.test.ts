import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import Fastify from 'fastify'
import Type from 'typebox'
import { NO_COERCION, strictParameters } from './strict-parameters.ts'

const app = Fastify({ ajv: { customOptions: NO_COERCION } })
await app.register(strictParameters)
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
app.get(
  '/at/:lat',
  { schema: { params: Type.Object({ lat: Type.Number() }) } },
  async (request) => request.params,
)
app.post(
  '/named',
  { schema: { body: Type.Object({ name: Type.String(), admin: Type.Optional(Type.Boolean()) }) } },
  async (request) => request.body,
)
after(() => app.close())

const statusOf = async (url: string) => (await app.inject(url)).statusCode

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
    assert.equal(await statusOf(`/page?limit=${limit}`), 400, `limit=${limit}`)
  assert.equal(await statusOf('/page?limit=1&exact=1'), 400, 'exact=1 is not a boolean')
  for (const body of [
    { name: 123 },
    { name: 'ann', admin: 'true' },
    { name: 'ann', admin: 1 },
    { name: null },
  ]) {
    const refused = await app.inject({ method: 'POST', url: '/named', payload: body })
    assert.equal(refused.statusCode, 400, JSON.stringify(body))
    assert.match(refused.json<{ message: string }>().message, /^body\/(name|admin) must be (string|boolean)$/)
  }
})

test('path numbers are decimals or a 400', async () => {
  assert.deepEqual((await app.inject('/at/-53.38')).json(), { lat: -53.38 })
  for (const lat of ['1e3', 'Infinity', '0x10', '.5']) assert.equal(await statusOf(`/at/${lat}`), 400, lat)
})
