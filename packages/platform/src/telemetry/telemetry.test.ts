import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startOtlpReceiver, type OtlpReceiver } from '../testing/otlp-receiver.ts'
import { telemetrySettings } from './settings.ts'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const REGISTER = fileURLToPath(new URL('./register.ts', import.meta.url))

test('tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the protocol and batch settings are checked; the name is the service package’s', () => {
  const main = path.join(ROOT, 'services/position-tracker/src/main.ts')
  assert.equal(telemetrySettings({}, main), undefined)
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }
  assert.deepEqual(telemetrySettings(endpoint, main), {
    protocol: 'http/protobuf',
    serviceName: 'position-tracker',
    batch: {},
  })
  assert.deepEqual(
    telemetrySettings(
      {
        ...endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'x',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
      },
      main,
    ),
    { protocol: 'http/json', batch: { scheduledDelayMillis: 100, maxExportBatchSize: 64 } },
  )
  assert.throws(
    () => telemetrySettings({ ...endpoint, OTEL_BSP_SCHEDULE_DELAY: 'soon' }, main),
    /OTEL_BSP_SCHEDULE_DELAY must be a whole number/,
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
  let receiver: OtlpReceiver
  before(async () => {
    receiver = await startOtlpReceiver()
  })
  after(() => receiver.close())
  const received = () => receiver.requests

  test('without an endpoint no SDK is started: spans are no-ops and nothing is sent', async () => {
    received().length = 0
    const { traceId } = JSON.parse(await traced({}, REQUEST_IN_A_SPAN)) as { traceId: string }
    assert.equal(traceId, '0'.repeat(32))
    assert.equal(received().length, 0)
  })

  test('with one, over http/json: the caller, the fetch, the server and Fastify are spans of one trace, named for the service', async () => {
    received().length = 0
    await traced(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'demo',
      },
      REQUEST_IN_A_SPAN,
    )
    assert.ok(received().length > 0, 'spans exported before the process exited')
    for (const r of received()) {
      assert.equal(r.url, '/v1/traces')
      assert.match(String(r.headers['content-type']), /^application\/json/)
    }
    const spans = receiver.spans()
    assert.deepEqual([...new Set(spans.map((s) => s.service))], ['demo'])
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
    received().length = 0
    await traced({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, REQUEST_IN_A_SPAN)
    assert.ok(received().length > 0)
    assert.equal(received()[0]!.url, '/v1/traces')
    assert.equal(received()[0]!.headers['content-type'], 'application/x-protobuf')
    // Protobuf keeps strings as they are: the span's name is in the bytes.
    assert.ok(received().some((r) => r.body.includes('caller')))
    received().length = 0
    await traced(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' },
      REQUEST_IN_A_SPAN,
    )
    assert.ok(!received().some((r) => r.body.includes('caller')), 'nothing sampled, nothing sent')
  })

  test('a service stopped by SIGTERM exports its last spans before it exits', async () => {
    received().length = 0
    // A batch delay far longer than the test: only the lifecycle's flush can send the span.
    const { code, lines } = await servedUntilSigterm({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    })
    assert.equal(code, 0)
    assert.ok(lines.includes('stopped'), lines.join('\n'))
    assert.ok(
      receiver.spans().some((s) => s.name === 'last words' && s.service === 'telemetry-test'),
      `the span made just before SIGTERM: ${receiver
        .spans()
        .map((s) => s.name)
        .join(', ')}`,
    )
  })

  test('a collector that never answers does not hold a stopping service: it exits within seconds', async () => {
    const silent = createServer(() => {}) // takes the export, never answers
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    try {
      const startedAt = performance.now()
      const { code } = await servedUntilSigterm({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      })
      assert.equal(code, 0)
      // Our bound is 2 s; a loaded machine adds to it. Only the exporter's own 10 s would reach 9.5 s.
      assert.ok(performance.now() - startedAt < 9_500, 'not the exporter’s own 10 s timeout, or longer')
    } finally {
      silent.closeAllConnections()
      silent.close()
    }
  })
})

/**
 * A service run by `runUntilSignal` under `--import register.ts`, which makes a span, says so,
 * and is sent SIGTERM at once; resolves with its exit code and the messages it logged.
 */
async function servedUntilSigterm(
  env: Record<string, string>,
): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      REGISTER,
      '--input-type=module',
      '-e',
      `import { trace } from '@opentelemetry/api'
       import { createLogger } from '@convoy/platform/log'
       import { runUntilSignal } from '@convoy/platform/lifecycle'
       runUntilSignal(async () => {
         trace.getTracer('test').startSpan('last words').end()
         return { log: createLogger({ service: 'telemetry-test' }), close: async () => {} }
       })
       setTimeout(() => console.log(JSON.stringify({ msg: 'spanned' })), 0)`,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, OTEL_SERVICE_NAME: 'telemetry-test', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { msg } = JSON.parse(line) as { msg?: string }
    if (msg) lines.push(msg)
    if (msg === 'spanned') child.kill('SIGTERM')
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, lines }
}
