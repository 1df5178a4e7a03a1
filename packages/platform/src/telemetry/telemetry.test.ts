import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { telemetrySettings } from './settings.ts'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const REGISTER = fileURLToPath(new URL('./register.ts', import.meta.url))

test('tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the protocol is checked; the name is the service package’s', () => {
  const main = path.join(ROOT, 'services/position-tracker/src/main.ts')
  assert.equal(telemetrySettings({}, main), undefined)
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
  assert.deepEqual(telemetrySettings(endpoint, main), {
    protocol: 'http/protobuf',
    serviceName: 'position-tracker',
  })
  assert.deepEqual(
    telemetrySettings(
      { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'x' },
      main,
    ),
    { protocol: 'http/json' },
  )
  assert.throws(
    () => telemetrySettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, main),
    /must be one of http\/protobuf, http\/json, not grpc/,
  )
})

/**
 * A process started with `--import register.ts`, running `code` (ESM, from the repository's root:
 * its packages resolve) with `env` added; resolves with what it printed once it has exited.
 */
async function traced(env: Record<string, string>, code: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', REGISTER, '--input-type=module', '-e', code],
    { cwd: ROOT, env: { ...process.env, ...env } },
  )
  return stdout
}

/** A request to a Fastify app by fetch (undici), inside a span, then the app closes and the process ends. */
const REQUEST_IN_A_SPAN = `
  import { trace } from '@opentelemetry/api'
  import Fastify from 'fastify'
  const app = Fastify()
  app.get('/hello', async () => ({ hello: 'world' }))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  await trace.getTracer('test').startActiveSpan('caller', async (span) => {
    await (await fetch(url + '/hello')).json()
    span.end()
  })
  await app.close()
  console.log(JSON.stringify(trace.getTracer('test').startSpan('probe').spanContext()))
`

describe('the SDK bootstrap (node --import register.ts)', () => {
  const received: Array<{ url?: string; headers: IncomingHttpHeaders; body: Buffer }> = []
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ url: request.url, headers: request.headers, body: Buffer.concat(chunks) })
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' })
      response.end(request.headers['content-type'] === 'application/json' ? '{}' : '')
    })
  })
  let endpoint: string
  before(async () => {
    collector.listen(0, '127.0.0.1')
    await once(collector, 'listening')
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  })
  after(() => collector.close())

  test('without an endpoint no SDK is started: spans are no-ops and nothing is sent', async () => {
    received.length = 0
    const { traceId } = JSON.parse(await traced({}, REQUEST_IN_A_SPAN)) as { traceId: string }
    assert.equal(traceId, '0'.repeat(32))
    assert.equal(received.length, 0)
  })

  test('with one, over http/json: the caller, the fetch, the server and Fastify are spans of one trace, named for the service', async () => {
    received.length = 0
    await traced(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'demo',
      },
      REQUEST_IN_A_SPAN,
    )
    assert.ok(received.length > 0, 'spans exported before the process exited')
    type Json = {
      resourceSpans: Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
        scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; kind: number }> }>
      }>
    }
    const batches = received.map((r) => {
      assert.equal(r.url, '/v1/traces')
      assert.match(String(r.headers['content-type']), /^application\/json/)
      return JSON.parse(r.body.toString()) as Json
    })
    const resources = batches.flatMap((b) => b.resourceSpans)
    const names = new Set(
      resources.map((r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue),
    )
    assert.deepEqual([...names], ['demo'])
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))
    const caller = spans.find((s) => s.name === 'caller')
    assert.ok(caller, 'the caller span')
    const inTrace = spans.filter((s) => s.traceId === caller.traceId)
    // CLIENT (3) from undici, SERVER (2) from http, and Fastify's request span.
    assert.ok(
      inTrace.some((s) => s.kind === 3),
      `a client span: ${JSON.stringify(inTrace)}`,
    )
    assert.ok(
      inTrace.some((s) => s.kind === 2),
      `a server span: ${JSON.stringify(inTrace)}`,
    )
    assert.ok(
      inTrace.some((s) => s.name.toLowerCase().includes('fastify') || s.name.startsWith('request')),
      `a Fastify span: ${inTrace.map((s) => s.name).join(', ')}`,
    )
  })

  test('over http/protobuf by default, and OTEL_TRACES_SAMPLER is honoured', async () => {
    received.length = 0
    await traced({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, REQUEST_IN_A_SPAN)
    assert.ok(received.length > 0)
    assert.equal(received[0]!.url, '/v1/traces')
    assert.equal(received[0]!.headers['content-type'], 'application/x-protobuf')
    // Protobuf keeps strings as they are: the span's name is in the bytes.
    assert.ok(received.some((r) => r.body.includes('caller')))
    received.length = 0
    await traced(
      { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_off' },
      REQUEST_IN_A_SPAN,
    )
    assert.ok(!received.some((r) => r.body.includes('caller')), 'nothing sampled, nothing sent')
  })
})
