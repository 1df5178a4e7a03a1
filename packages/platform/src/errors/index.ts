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

  constructor(status: number, code: string, title: string, detail: string) {
    super(detail)
    this.status = status
    this.code = code
    this.title = title
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string) {
    super(400, 'bad-request', 'Bad Request', detail)
  }
}

export class NotFoundError extends AppError {
  constructor(detail: string) {
    super(404, 'not-found', 'Not Found', detail)
  }
}

export class UnavailableError extends AppError {
  constructor(detail: string) {
    super(503, 'unavailable', 'Service Unavailable', detail)
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
