/**
 * The error catalogue: every error a caller may see has a stable `code` and an HTTP status.
 * The HTTP layer turns them into RFC 9457 problem+json in one place.
 *
 * @example
 * throw new NotFoundError(`no vehicle named ${JSON.stringify(name)}`)
 */
export class AppError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  /** Response headers that go with this error (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Record<string, string>

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(detail)
    this.status = status
    this.code = code
    this.title = title
    this.headers = headers
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string) {
    super(400, 'bad-request', 'Bad Request', detail)
  }
}

/** No credentials, or credentials that do not hold (a bad, expired or unknown token). */
export class UnauthorizedError extends AppError {
  constructor(detail: string, challenge = 'Bearer realm="convoy"') {
    super(401, 'unauthorized', 'Unauthorized', detail, { 'www-authenticate': challenge })
  }
}

/** Authenticated, but the role does not allow this. */
export class ForbiddenError extends AppError {
  constructor(detail: string) {
    super(403, 'forbidden', 'Forbidden', detail)
  }
}

export class ConflictError extends AppError {
  constructor(detail: string) {
    super(409, 'conflict', 'Conflict', detail)
  }
}

export class TooManyRequestsError extends AppError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, 'too-many-requests', 'Too Many Requests', detail, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    })
  }
}

export class NotFoundError extends AppError {
  constructor(detail: string) {
    super(404, 'not-found', 'Not Found', detail)
  }
}

/** A body over its size limit. */
export class PayloadTooLargeError extends AppError {
  readonly maxBytes: number
  constructor(maxBytes: number) {
    super(413, 'payload-too-large', 'Payload Too Large', `larger than the limit of ${maxBytes} bytes`)
    this.maxBytes = maxBytes
  }
}

/** A body whose content is not of a kind the route takes (checked by looking inside, not at its label). */
export class UnsupportedMediaTypeError extends AppError {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported Media Type', detail)
  }
}

export class UnavailableError extends AppError {
  constructor(detail: string) {
    super(503, 'unavailable', 'Service Unavailable', detail)
  }
}

export class GatewayTimeoutError extends AppError {
  constructor(detail: string) {
    super(504, 'gateway-timeout', 'Gateway Timeout', detail)
  }
}

/** An RFC 9457 problem details body. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function problem(status: number, code: string, title: string, detail: string): Problem {
  return { type: `https://convoy.dev/problems/${code}`, title, status, detail }
}

/**
 * True for errors that mean "a server we depend on cannot be reached right now" (refused, reset,
 * timed out, shutting down) rather than a bug: callers answer 503 and retry later.
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string') {
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(code)) return true
    // PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention).
    if (/^(08...|57P0[1-3])$/.test(code)) return true
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  )
}
