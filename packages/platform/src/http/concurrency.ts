import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors/index.ts'

/** Too much of an expensive thing at once: 503 with `Retry-After`, the client may come back soon. */
export class OverloadedError extends AppError {
  constructor(what: string, retryAfterSeconds: number) {
    super(503, 'overloaded', 'Service Unavailable', `too many ${what} at once; try again shortly`, {
      'retry-after': String(retryAfterSeconds),
    })
  }
}

export interface ConcurrencyLimitOptions {
  /** Requests handled at once; the rest wait their turn. */
  max: number
  /** Requests that may wait for a turn; beyond, a 503 at once. */
  queue: number
  /** What they are, for the 503's detail: `history reads`. */
  what: string
  /** The `Retry-After` of a refusal. Default 1 s. */
  retryAfterSeconds?: number
}

/**
 * A `preHandler` that lets `max` requests of a route through at once, keeps up to `queue` more
 * waiting in arrival order, and refuses the rest with a 503 and `Retry-After`: a flood of an
 * expensive read costs the database `max` queries at a time, the process a bounded amount of
 * memory, and the work that shares them (ingestion, the live feed) keeps its share. A turn lasts
 * until the response is sent or the client goes away, so a streamed answer holds it to the end.
 *
 * @example
 * app.get('/vehicles/:name/history', { preHandler: concurrencyLimit({ max: 4, queue: 16, what: 'history reads' }) }, handler)
 */
export function concurrencyLimit(options: ConcurrencyLimitOptions) {
  let running = 0
  const waiting: Array<() => void> = []
  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    const response = reply.raw
    let closed = false // the response sent, or the client gone
    response.once('close', () => (closed = true))
    if (running < options.max) running++
    else if (waiting.length < options.queue) {
      // A turn handed over by `release` keeps `running` as it is: the slot changes hands.
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve)
        // A client that gives up while waiting gives its place back.
        response.once('close', () => {
          const index = waiting.indexOf(resolve)
          if (index < 0) return
          waiting.splice(index, 1)
          reject(new OverloadedError(options.what, options.retryAfterSeconds ?? 1))
        })
      })
    } else throw new OverloadedError(options.what, options.retryAfterSeconds ?? 1)
    if (closed) release()
    else response.once('close', release)
  }
}
