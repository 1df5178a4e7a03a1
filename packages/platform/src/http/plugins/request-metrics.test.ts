import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Writable } from 'node:stream'
import Fastify, { LogController } from 'fastify'
import { Registry } from 'prom-client'
import { createLogger } from '../../log/index.ts'
import { requestMetrics } from './request-metrics.ts'

const lines: Array<Record<string, unknown>> = []
const log = createLogger({
  service: 'test',
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  }),
})
const registry = new Registry()
const app = Fastify({
  loggerInstance: log,
  logController: new LogController({ disableRequestLogging: true }),
})
await app.register(requestMetrics, { registry })
app.get('/items/:id', async (request) => request.params)
after(() => app.close())

test('counts each request by method, route pattern and status; a path no route took is unmatched', async () => {
  await app.inject('/items/1')
  await app.inject('/items/2')
  await app.inject('/made-up/path')
  const text = await registry.metrics()
  assert.match(
    text,
    /^http_server_request_duration_seconds_count\{method="GET",route="\/items\/:id",status_code="200"\} 2$/m,
  )
  assert.match(
    text,
    /^http_server_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m,
  )
  assert.doesNotMatch(text, /made-up/)
})

test('logs each request once, at debug level, with its status and duration', async () => {
  lines.length = 0
  await app.inject('/items/3')
  const served = lines.filter((line) => line.msg === 'request served')
  assert.equal(served.length, 1)
  assert.equal(served[0]!.level, 'debug')
  assert.equal(served[0]!.url, '/items/3')
  assert.equal(served[0]!.status, 200)
  assert.equal(typeof served[0]!.ms, 'number')
})
