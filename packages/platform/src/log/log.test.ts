import assert from 'node:assert/strict'
import { test } from 'node:test'
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
