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
 * One JSON object per line on stdout: `time`, `level`, `service`, `msg`, plus a fields object.
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
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    options.destination,
  )
}
