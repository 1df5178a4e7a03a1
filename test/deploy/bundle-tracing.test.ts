/**
 * A service's bundle (scripts/bundle.ts, what its image runs) traced as its image runs it:
 * `node --import ./register.js main.js`, against real PostgreSQL and RabbitMQ, exporting to an
 * OTLP receiver here. The bundle must not hide the modules OpenTelemetry hooks: pg's queries, the
 * HTTP server are spans, and a message's trace goes on into the consumer.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { positionReported } from '@convoy/contracts'
import { connectBroker } from '@convoy/platform/messaging'
import {
  createTestDatabase,
  createTestVhost,
  eventually,
  startOtlpReceiver,
  testLogger,
  type OtlpReceiver,
} from '@convoy/platform/testing'
import { started } from '@convoy/system'
import { bundleService } from '../../scripts/bundle.ts'

const CONSUMER = 5
const SERVER = 2

let dir: string
let receiver: OtlpReceiver
let database: Awaited<ReturnType<typeof createTestDatabase>>
let vhost: Awaited<ReturnType<typeof createTestVhost>>
let tracker: ChildProcess

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convoy-bundle-tracing-'))
  ;[receiver, database, vhost] = await Promise.all([
    startOtlpReceiver(),
    createTestDatabase(),
    createTestVhost(),
    bundleService('position-tracker', dir),
  ])
})

after(async () => {
  if (tracker?.exitCode === null) tracker.kill('SIGKILL')
  await Promise.all([receiver?.close(), database?.drop(), vhost?.drop()])
  await rm(dir, { recursive: true, force: true })
})

test('the bundled tracker, run with --import ./register.js, exports its request, message, batch and query spans, and stops cleanly', async () => {
  tracker = spawn(process.execPath, ['--import', './register.js', 'main.js'], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: database.url,
      AMQP_URL: vhost.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const { url } = await started(tracker, 'position-tracker')

  // A request to its API (refused: no token) is a server span.
  assert.equal((await fetch(`${url}/vehicles`)).status, 401)
  // A position published inside a trace of the test's own making.
  const traceId = 'a1'.repeat(16)
  const publisher = 'b2'.repeat(8)
  const broker = connectBroker({ url: vhost.url, log: testLogger() })
  try {
    await broker.publish(
      positionReported,
      { vehicle: 'Bundled Van', lat: 53.38, lng: -1.47, timestamp: new Date().toISOString() },
      { headers: { traceparent: `00-${traceId}-${publisher}-01` } },
    )
  } finally {
    await broker.close()
  }

  const consumer = await eventually(
    () => receiver.spans().find((s) => s.kind === CONSUMER && s.traceId === traceId),
    'the CONSUMER span of the message',
    30_000,
  )
  assert.equal(consumer.parentSpanId, publisher, 'the child of the publisher’s span')
  assert.equal(consumer.service, 'position-tracker', 'named from the bundle’s package.json')
  const batch = await eventually(
    () =>
      receiver
        .spans()
        .find((s) => s.name === 'flush batch' && s.links.some((l) => l.spanId === consumer.spanId)),
    'the batch write linked to the message',
  )
  await eventually(
    () =>
      receiver
        .spans()
        .find((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.traceId === batch.traceId),
    'pg’s query spans in the batch write: pg, outside the bundle, was instrumented',
  )
  await eventually(
    () => receiver.spans().find((s) => s.kind === SERVER && s.attributes['http.route'] === '/vehicles'),
    'the API request’s server span',
  )

  // Traced, it still stops cleanly (the flush on SIGTERM itself: telemetry.test.ts).
  tracker.kill('SIGTERM')
  const [code] = (await once(tracker, 'exit')) as [number | null]
  assert.equal(code, 0)
})
