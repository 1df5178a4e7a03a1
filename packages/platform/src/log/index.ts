import { context, trace } from '@opentelemetry/api'
import { pino, type Logger } from 'pino'

export type { Logger }

/** Fields that must never reach a log line, whatever object they are nested in. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  'refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
]

/**
 * True for the errors of a client that went away mid-request: Node's `aborted` (ECONNRESET) on a
 * request whose connection closed before its body was complete, and a stream cut short by it.
 * Nothing broke on our side; libraries (the proxy among them) still log them as warnings.
 */
export function clientWentAway(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  return (code === 'ECONNRESET' && message === 'aborted') || code === 'ERR_STREAM_PREMATURE_CLOSE'
}

const WARN = 40

/**
 * The active span's ids, for a line written inside one (a request's, a message's): the line is
 * found from its trace and the trace from the line. Nothing outside a span, or with tracing off
 * (no SDK: no span is ever active, or its context is the invalid all-zero one).
 */
function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active())?.spanContext()
  return span && trace.isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {}
}

/**
 * One JSON object per line on stdout, written synchronously: `time`, `level`, `service`, `msg`, plus a
 * fields object. Synchronous, so that lines reach stdout in the order they were logged even when the
 * process exits right after one: pino's own default writes asynchronously, and a line still being
 * written when the process exits came out after the one the exit flushed (a service's 'stopped'
 * before its 'shutting down', seen under load).
 * A line written inside an active OpenTelemetry span carries its `trace_id` and `span_id`.
 * A warning or error whose error is a client going away ({@link clientWentAway}) becomes an
 * info line without a stack, whoever logs it: a thousand cancelled uploads are not a thousand
 * stack traces.
 *
 * @example
 * const log = createLogger({ service: 'position-tracker', level: 'info' })
 * log.info({ stored: 12 }, 'positions stored')
 */
export function createLogger(options: {
  service: string
  level?: string
  destination?: pino.DestinationStream
}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: {
        logMethod(args, method, level) {
          const [first, message] = args as unknown[]
          const error = first instanceof Error ? first : (first as { err?: unknown } | undefined)?.err
          if (level < WARN || !clientWentAway(error)) return method.apply(this, args)
          const text = typeof message === 'string' ? message : (error as Error).message
          this.info({ reason: (error as Error).message }, `${text}: the client went away`)
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  )
}
