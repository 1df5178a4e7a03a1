import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHttpApp } from '../http/index.ts'
import { createMetrics } from '../metrics/index.ts'
import { testLogger } from '../testing/index.ts'
import { closeInOrder, serve } from './index.ts'

test('closeInOrder attempts every step, then fails naming those that failed', async () => {
  const ran: string[] = []
  await assert.rejects(
    closeInOrder(testLogger(), [
      ['a', () => ran.push('a')],
      ['b', () => Promise.reject(new Error('stuck'))],
      ['c', () => ran.push('c')],
    ]),
    /shutdown steps failed: b/,
  )
  assert.deepEqual(ran, ['a', 'c'])
})

const log = testLogger()
const listen = { PORT: 0, HOST: '127.0.0.1', OPS_PORT: 0, OPS_HOST: '127.0.0.1' }

test('serve releases what the service opened when it cannot listen', async () => {
  const holder = createHttpApp({ service: 'holder', log })
  const running = await serve({ log, listen, api: holder, metrics: createMetrics('holder') })
  const released: string[] = []
  const second = createHttpApp({ service: 'second', log })
  await assert.rejects(
    serve({
      log,
      listen: { ...listen, PORT: Number(new URL(running.url).port) },
      api: second,
      metrics: createMetrics('second'),
      drain: [['consumer', () => released.push('consumer')]],
      release: [['broker', () => released.push('broker')]],
    }),
    /EADDRINUSE/,
  )
  assert.deepEqual(released, ['consumer', 'broker'])
  await running.close()
})

test('the operational endpoints are on their own port, never on the API port', async () => {
  const metrics = createMetrics('test')
  const app = createHttpApp({ service: 'test', log, metrics })
  app.get('/hello', async () => ({ hello: 'world' }))
  const running = await serve({ log, listen, api: app, metrics })
  try {
    assert.equal((await fetch(`${running.url}/hello`)).status, 200)
    for (const path of ['/healthz', '/readyz', '/metrics'])
      assert.equal((await fetch(`${running.url}${path}`)).status, 404, `no ${path} on the API's port`)
    assert.deepEqual(await (await fetch(`${running.opsUrl}/healthz`)).json(), { status: 'ok' })
    const text = await (await fetch(`${running.opsUrl}/metrics`)).text()
    assert.match(text, /http_server_request_duration_seconds_count\{[^}]*route="\/hello"[^}]*\} 1/)
  } finally {
    await running.close()
  }
})

test('/readyz answers each check, with the reason a check gives, and "stopping" while draining', async () => {
  let database: boolean | string = true
  let duringDrain: unknown
  const running = await serve({
    log,
    listen,
    metrics: createMetrics('test'),
    readiness: { database: () => database, tool: () => true },
    drain: [
      [
        'consumer',
        async () => {
          const response = await fetch(`${running.opsUrl}/readyz`)
          duringDrain = [response.status, await response.json()]
        },
      ],
    ],
  })
  const readyz = async () => {
    const response = await fetch(`${running.opsUrl}/readyz`)
    return [response.status, await response.json()]
  }
  assert.deepEqual(await readyz(), [200, { status: 'ready', checks: { database: true, tool: true } }])
  database = false
  assert.deepEqual(await readyz(), [503, { status: 'not ready', checks: { database: false, tool: true } }])
  database = 'ffprobe is not installed'
  assert.deepEqual(await readyz(), [
    503,
    { status: 'not ready', checks: { database: 'ffprobe is not installed', tool: true } },
  ])
  database = true
  await running.close()
  assert.deepEqual(duringDrain, [503, { status: 'stopping', checks: { database: true, tool: true } }])
})
