/** A failed API call: the HTTP status (0 when the server could not be reached) and what it said. */
export class ApiError extends Error {
  readonly status: number
  /** The problem+json `detail`, or the status text. */
  readonly detail: string
  /** Seconds to wait before trying again, from `Retry-After` (429, 503). */
  readonly retryAfter: number | undefined

  constructor(status: number, detail: string, retryAfter?: number) {
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.detail = detail
    this.retryAfter = retryAfter
  }
}

/** Whether a call failed because what it named is not there (a 404). */
export const isGone = (failure: unknown): boolean => failure instanceof ApiError && failure.status === 404

/** Waits for a delete; one already gone (deleted in another tab, or by someone else) is done too. */
export async function deleted(call: Promise<void>): Promise<void> {
  try {
    await call
  } catch (failure) {
    if (!isGone(failure)) throw failure
  }
}

/** The error for a response that is not ok, read from its RFC 9457 problem body when it has one. */
export async function apiError(response: Response): Promise<ApiError> {
  const problem = (await response.json().catch(() => null)) as { detail?: unknown } | null
  const detail =
    typeof problem?.detail === 'string' ? problem.detail : response.statusText || `HTTP ${response.status}`
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10)
  return new ApiError(response.status, detail, Number.isFinite(retryAfter) ? retryAfter : undefined)
}

/** `fetch`, with a network failure turned into an `ApiError` of status 0 (an abort stays an abort). */
export async function request(fetcher: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetcher(url, init)
  } catch (error) {
    if (init.signal?.aborted) throw error
    throw new ApiError(0, 'the server cannot be reached')
  }
}
