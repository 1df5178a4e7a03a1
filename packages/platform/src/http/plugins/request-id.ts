import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'

/** What a caller's `x-request-id` may be to be taken: short, and nothing a log line would trip on. */
const REQUEST_ID = /^[\w.:-]{1,128}$/

/**
 * A request's id (Fastify's `genReqId` option, so it is `request.id` and every log line's `reqId`):
 * the caller's `x-request-id` when it is a sensible one, so a request is followed across the
 * gateway and the service behind it; else a new UUID.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

/**
 * Sends each request's id back in `x-request-id`, from the start (an answer refused by a later
 * `onRequest` hook carries it too), so a caller can quote it and the log be searched for it.
 */
export const requestIds = fp(
  async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id)
    })
  },
  { name: 'request-ids' },
)
