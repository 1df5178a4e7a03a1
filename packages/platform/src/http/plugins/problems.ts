import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, isConnectionError, PROBLEM_CONTENT_TYPE, problem } from '../../errors/index.ts'
import { lingerThenClose } from '../lingering-close.ts'

/** `Payload Too Large` → `payload-too-large`: a stable problem type for Fastify's own 4xx errors. */
const slug = (status: number) =>
  (STATUS_CODES[status] ?? 'Bad Request').toLowerCase().replace(/[^a-z0-9]+/g, '-')

function sendProblem(reply: FastifyReply, body: ReturnType<typeof problem>) {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body)
}

/**
 * Every error a request ends in, answered as problem+json (RFC 9457) that names nothing internal:
 * an {@link AppError} as itself, with its headers; a schema's refusal as a 400; Fastify's own 4xx
 * (a body too large, malformed JSON, a Content-Type no parser takes) titled by its status; a
 * dependency that cannot be reached as a 503; anything else as a 500, whose detail is logged, not
 * sent. A request answered before its body was read lingers ({@link lingerThenClose}); one whose
 * client went away is a 499 and an info line, with nobody to answer.
 */
export const problems = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
      if (!request.raw.complete) lingerThenClose(request.raw, reply)
      // The client went away mid-request (an upload cancelled): nobody to answer, nothing broken.
      if (request.raw.errored && request.raw.destroyed) {
        request.log.info({ url: request.url }, 'client went away before the request was complete')
        return reply.code(499).send()
      }
      if (error instanceof AppError) {
        void reply.headers(error.headers)
        return sendProblem(reply, problem(error.status, error.code, error.title, error.message))
      }
      if (error.validation) {
        return sendProblem(reply, problem(400, 'bad-request', 'Bad Request', error.message))
      }
      const status = error.statusCode ?? 500
      if (status < 500) {
        const detail =
          error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? `a ${request.headers['content-type'] ?? 'body without a Content-Type'} is not accepted here; send JSON with Content-Type: application/json`
            : error.message
        return sendProblem(
          reply,
          problem(status, slug(status), STATUS_CODES[status] ?? 'Bad Request', detail),
        )
      }
      if (isConnectionError(error)) {
        request.log.warn({ err: error, url: request.url }, 'dependency unavailable')
        return sendProblem(
          reply,
          problem(
            503,
            'unavailable',
            'Service Unavailable',
            'a dependency is unavailable; try again shortly',
          ),
        )
      }
      request.log.error({ err: error, url: request.url }, 'request failed')
      return sendProblem(
        reply,
        problem(500, 'internal', 'Internal Server Error', 'the server failed to handle this request'),
      )
    })
  },
  { name: 'problems' },
)

/**
 * Errors Fastify raises before routing (a malformed or oversized URL), its `frameworkErrors`
 * option: problem+json too, without echoing the URL back.
 */
export function frameworkErrorProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 400
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed'
  void sendProblem(
    reply,
    problem(
      status,
      status === 414 ? 'uri-too-long' : 'bad-request',
      status === 414 ? 'URI Too Long' : 'Bad Request',
      detail,
    ),
  )
}

/**
 * A request Node's parser refuses (headers over 16 kB, a broken request line), Fastify's
 * `clientErrorHandler` option: problem+json too, written straight to the socket, since there is
 * no request to reply to.
 */
export function clientErrorProblem(error: Error, socket: Socket) {
  if (!socket.writable) return void socket.destroy()
  const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const title = STATUS_CODES[status]!
  const body = JSON.stringify(
    problem(
      status,
      slug(status),
      title,
      status === 431 ? 'the request headers are too large' : 'the request is malformed',
    ),
  )
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
