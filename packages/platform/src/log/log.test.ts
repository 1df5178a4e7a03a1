import assert from 'node:assert/strict'
import { test } from 'node:test'
import { context, INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api'
import { registerTestTracing } from '../testing/tracing.ts'
import { createLogger } from './index.ts'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = createLogger({
    service: 'test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  })
  return { log, lines }
}

/** What Node's HTTP server hands a request whose client closed the connection mid-body. */
const aborted = () => Object.assign(new Error('aborted'), { code: 'ECONNRESET' })

test('a client going away is an info line without a stack, whoever logs it as a warning or an error', () => {
  const { log, lines } = capture()
  log.warn({ err: aborted() }, 'response errored')
  log.error(aborted(), 'request failed')
  log.warn({ err: Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }) }, 'x')
  assert.deepEqual(
    lines.map(({ level, msg, reason, err }) => ({ level, msg, reason, err })),
    [
      { level: 'info', msg: 'response errored: the client went away', reason: 'aborted', err: undefined },
      { level: 'info', msg: 'request failed: the client went away', reason: 'aborted', err: undefined },
      { level: 'info', msg: 'x: the client went away', reason: 'Premature close', err: undefined },
    ],
  )
  assert.doesNotMatch(JSON.stringify(lines), /stack/)
})

test('other errors keep their level and their stack', () => {
  const { log, lines } = capture()
  log.warn({ err: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }, 'upstream reset')
  log.error(new Error('boom'), 'request failed')
  assert.deepEqual(
    lines.map((line) => [line.level, line.msg]),
    [
      ['warn', 'upstream reset'],
      ['error', 'request failed'],
    ],
  )
  assert.ok(lines.every((line) => typeof (line.err as { stack?: unknown }).stack === 'string'))
})

test('a line written inside an active span carries its trace_id and span_id; one outside carries neither', async () => {
  const tracing = registerTestTracing()
  const { log, lines } = capture()
  log.info('before')
  const ids = await trace.getTracer('test').startActiveSpan('work', async (span) => {
    await Promise.resolve() // across an await, as a handler logs
    log.child({ component: 'broker' }).info('inside')
    span.end()
    return span.spanContext()
  })
  // A span whose context is the invalid all-zero one (tracing off looks so) adds nothing.
  context.with(trace.setSpanContext(context.active(), INVALID_SPAN_CONTEXT), () => log.info('invalid'))
  log.info('after')
  assert.deepEqual(
    lines.map(({ msg, trace_id, span_id }) => ({ msg, trace_id, span_id })),
    [
      { msg: 'before', trace_id: undefined, span_id: undefined },
      { msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId },
      { msg: 'invalid', trace_id: undefined, span_id: undefined },
      { msg: 'after', trace_id: undefined, span_id: undefined },
    ],
  )
  assert.equal(tracing.spans().length, 1)
})
