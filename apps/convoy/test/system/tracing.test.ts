/**
 * Traces of the whole system, as a trace store would receive them: the stack topology (every
 * service its own process, real PostgreSQL, RabbitMQ, ffmpeg, an SMTP server started here) with
 * tracing on, exporting over OTLP/HTTP to a receiver in this test. Each chain a user's action
 * makes is one trace, across HTTP hops and the broker; the services' log lines written on the way
 * carry its ids.
 */
import assert from 'node:assert/strict'
import { closeSync, openAsBlob, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Media } from '@convoy/contracts'
import {
  eventually,
  makeTestVideo,
  startMailCatcher,
  startOtlpReceiver,
  type MailCatcher,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@convoy/platform/testing'
import { login, openLiveFeed, startTestStack, type LiveFeed, type TestStack } from '@convoy/system/testing'

const SERVER = 2
const CLIENT = 3
const PRODUCER = 4
const CONSUMER = 5
const PG = '@opentelemetry/instrumentation-pg'

/** A service's log line, as it writes it on stdout. */
interface LogLine {
  service: string
  msg: string
  reqId?: string
  trace_id?: string
  span_id?: string
  [field: string]: unknown
}

describe('traces across the stack', () => {
  let dir: string
  let receiver: OtlpReceiver
  let smtp: MailCatcher
  let system: TestStack
  let token: string
  let live: LiveFeed
  let logFile: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-tracing-'))
    logFile = path.join(dir, 'services.log')
    const clip = path.join(dir, 'traced.mp4')
    ;[receiver, smtp] = await Promise.all([
      startOtlpReceiver(),
      startMailCatcher(),
      makeTestVideo(clip, { seconds: 1 }),
    ])
    // Every service's lines in one file, each naming its service.
    const log = openSync(logFile, 'w')
    try {
      system = await startTestStack({
        stdio: log,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          // debug: a line per request, so that every request's lines can be checked.
          LOG_LEVEL: 'debug',
        },
        serviceEnv: {
          notification: { SMTP_PORT: String(smtp.port) },
          'position-simulator': { VEHICLES: '1', REPORT_INTERVAL_MS: '500' },
          // auth exports in the default encoding, protobuf (asserted below).
          auth: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
        },
      })
    } finally {
      closeSync(log)
    }
    token = await login(system.url)
    live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, token)
  })

  after(async () => {
    live?.close()
    await system?.close()
    await Promise.all([receiver?.close(), smtp?.close()])
    await rm(dir, { recursive: true, force: true })
  })

  const api = (method: string, url: string, body?: FormData) =>
    fetch(`${system.url}/api${url}`, { method, body, headers: { authorization: `Bearer ${token}` } })

  const logLines = (): LogLine[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)

  /** The spans of `traceId` so far, with a way up each one's parents. */
  function traceOf(traceId: string) {
    const spans = receiver.spans().filter((span) => span.traceId === traceId)
    const byId = new Map(spans.map((span) => [span.spanId, span]))
    const ancestors = (span: ReceivedSpan): ReceivedSpan[] => {
      const parent = byId.get(span.parentSpanId)
      return parent ? [parent, ...ancestors(parent)] : []
    }
    const descends = (span: ReceivedSpan, from: ReceivedSpan) =>
      ancestors(span).some((ancestor) => ancestor.spanId === from.spanId)
    return { spans, byId, ancestors, descends }
  }

  test('a browser’s request goes through the gateway to the tracker and its query: one trace, parent to child across the hop', async () => {
    const response = await api('GET', '/vehicles')
    assert.equal(response.status, 200)
    const reqId = response.headers.get('x-request-id')
    assert.ok(reqId)

    // The gateway's line about the request names its trace.
    const line = await eventually(
      () => logLines().find((l) => l.service === 'gateway' && l.reqId === reqId && l.trace_id),
      'the gateway’s log line of the request, with its trace id',
    )
    const found = await eventually(() => {
      const trace = traceOf(line.trace_id!)
      const query = trace.spans.find((s) => s.service === 'position-tracker' && s.name.startsWith('pg.query'))
      const server = trace.spans.find((s) => s.service === 'position-tracker' && s.kind === SERVER)
      const root = trace.spans.find((s) => s.parentSpanId === '')
      return query && server && root && trace.descends(query, server) ? { trace, query, server, root } : null
    }, 'the tracker’s server span and query in the request’s trace')
    const { trace, query, server, root } = found
    // A browser sends no trace context: the gateway's server span is the root.
    assert.equal(root.service, 'gateway')
    assert.equal(root.kind, SERVER)
    // The tracker's server span is the child of the gateway's call to it (its CLIENT span).
    const call = trace.byId.get(server.parentSpanId)
    assert.ok(call, 'the tracker’s parent was exported')
    assert.equal(call.service, 'gateway')
    assert.equal(call.kind, CLIENT)
    assert.ok(trace.descends(call, root))
    assert.match(String(query.attributes['db.query.text'] ?? query.attributes['db.statement']), /SELECT/i)
    // The line was written inside one of the gateway's spans of that trace.
    assert.ok(trace.spans.some((s) => s.spanId === line.span_id && s.service === 'gateway'))
  })

  test('a simulated position goes through RabbitMQ into the tracker’s batch write (a link) and out to the gateway’s live feed', async () => {
    const found = await eventually(
      () => {
        for (const report of receiver
          .spans()
          .filter((s) => s.service === 'position-simulator' && s.kind === PRODUCER)) {
          const consumed = traceOf(report.traceId).spans.find(
            (s) =>
              s.service === 'position-tracker' && s.kind === CONSUMER && s.parentSpanId === report.spanId,
          )
          if (!consumed) continue
          // The batch write serves many reports: a trace of its own, linked to each message's.
          const batch = receiver
            .spans()
            .find((s) => s.name === 'flush batch' && s.links.some((l) => l.spanId === consumed.spanId))
          if (!batch) continue
          const write = traceOf(batch.traceId)
          const query = write.spans.find((s) => s.scope === PG && write.descends(s, batch))
          const pushed = write.spans.find(
            (s) => s.service === 'gateway' && s.kind === CONSUMER && s.parentSpanId === batch.spanId,
          )
          if (query && pushed) return { report, consumed, batch, query, pushed }
        }
        return null
      },
      'a report’s way from the simulator to the live feed',
      30_000,
    )
    assert.match(found.report.name, /^send positions$/)
    assert.equal(found.consumed.attributes['messaging.destination.name'], 'position-tracker.positions')
    assert.equal(found.batch.service, 'position-tracker')
    assert.equal(found.batch.parentSpanId, '', 'the batch write is the child of no message')
    assert.equal(found.query.service, 'position-tracker')
    assert.match(found.pushed.name, /^process gateway\.live/)
    // And the live feed shows the vehicle: its frame leaves at the gateway's next flush, which may
    // come after the consumer's span was exported.
    await eventually(
      () => live.frames.some((frame) => frame.type === 'positions' && frame.vehicles.length > 0),
      'a positions frame on the live feed',
    )
  })

  test('an upload goes through media, the converter, media again and notification’s email: one trace', async () => {
    const form = new FormData()
    form.append('file', await openAsBlob(path.join(dir, 'traced.mp4')), 'traced.mp4')
    const response = await api('POST', '/media', form)
    assert.equal(response.status, 202, await response.clone().text())
    const job = (await response.json()) as Media
    await eventually(
      () => smtp.mails.find((m) => m.headers.subject?.includes('traced.mp4')),
      'the email',
      45_000,
    )

    // notification's line about it carries the upload's trace.
    const line = await eventually(
      () =>
        logLines().find(
          (l) => l.service === 'notification' && l.msg === 'notification created' && l.mediaId === job.id,
        ),
      'notification’s log line',
    )
    assert.ok(line.trace_id && line.span_id, JSON.stringify(line))
    const found = await eventually(() => {
      const trace = traceOf(line.trace_id!)
      const of = (service: string, kind: number) =>
        trace.spans.filter((s) => s.service === service && s.kind === kind)
      const root = trace.spans.find((s) => s.parentSpanId === '')
      const upload = of('media', SERVER).find((s) => root && trace.descends(s, root))
      const converting = of('converter', CONSUMER).find((s) => upload && trace.descends(s, upload))
      const fetched = of('media', SERVER).find((s) => converting && trace.descends(s, converting))
      const result = of('media', CONSUMER).find((s) => converting && trace.descends(s, converting))
      const notified = of('notification', CONSUMER).find((s) => result && trace.descends(s, result))
      return root && upload && converting && fetched && result && notified
        ? { trace, root, upload, converting, fetched, result, notified }
        : null
    }, 'the upload’s whole way in one trace')
    assert.equal(found.root.service, 'gateway')
    assert.equal(found.root.kind, SERVER)
    assert.equal(found.converting.attributes['messaging.destination.name'], 'converter.videos')
    // notification's line was written in its consumer's span, or one below it.
    const span = found.trace.byId.get(line.span_id)
    assert.ok(span && (span.spanId === found.notified.spanId || found.trace.descends(span, found.notified)))
  })

  test('every line a service wrote while handling a request or a message carries trace_id and span_id', () => {
    const lines = logLines()
    const handling = lines.filter((l) => l.reqId !== undefined || l.messageId !== undefined)
    assert.ok(handling.length > 0)
    const without = handling.filter(
      (l) => !/^[0-9a-f]{32}$/.test(l.trace_id ?? '') || !/^[0-9a-f]{16}$/.test(l.span_id ?? ''),
    )
    assert.deepEqual(without, [])
    for (const service of ['gateway', 'position-tracker', 'media', 'notification'])
      assert.ok(
        handling.some((l) => l.service === service),
        `${service} logged a request or a message`,
      )
  })

  test('every service exports under its own name; auth in protobuf, the default encoding', () => {
    const names = new Set(receiver.spans().map((span) => span.service))
    for (const service of [
      'gateway',
      'position-tracker',
      'fleet-events',
      'media',
      'converter',
      'notification',
      'position-simulator',
    ])
      assert.ok(names.has(service), `${service}: ${[...names].join(', ')}`)
    const protobuf = receiver.requests.filter((r) => r.headers['content-type'] === 'application/x-protobuf')
    assert.ok(protobuf.length > 0, 'auth’s spans, in protobuf')
    assert.ok(protobuf.every((r) => r.url === '/v1/traces' && r.body.includes('auth')))
  })
})
