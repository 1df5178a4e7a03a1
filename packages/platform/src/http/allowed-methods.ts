import { METHODS } from 'node:http'
import type { FastifyRequest } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { AppError, NotFoundError } from '../errors/index.ts'
import type { HttpApp } from './index.ts'

/** A route that answers for a whole path family on behalf of others (the gateway's `/api/*`). */
export interface FallbackConfig {
  fallback?: boolean
}

/** A path that exists, asked with a method it does not take: 405 with the ones it does. */
export class MethodNotAllowedError extends AppError {
  constructor(method: string, allowed: string[]) {
    super(
      405,
      'method-not-allowed',
      'Method Not Allowed',
      `${method} is not allowed here; use ${allowed.join(' or ')}`,
      { allow: allowed.join(', ') },
    )
  }
}

/**
 * Answers a request no route took: 405 with `Allow` when its path has routes for other methods,
 * else 404. Neither names the path: behind the gateway a service sees its internal path, which is
 * none of the caller's business. Routes are mirrored into a router of their own as they are
 * added (Fastify's own router cannot be asked which methods a path takes), so a path's route for
 * each method is found as Fastify finds it; a method whose route is a `fallback` one (`config:
 * { fallback: true }`: the gateway's `/api/*`, which answers for any method it has nothing for)
 * does not count as taken.
 *
 * @example
 * const refuse = allowedMethods(app)
 * app.setNotFoundHandler((request) => { throw refuse(request) })
 */
export function allowedMethods(app: HttpApp): (request: FastifyRequest) => AppError {
  const mirror = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 1024 })
  app.addHook('onRoute', (route) => {
    const fallback = (route.config as FallbackConfig | undefined)?.fallback === true
    for (const method of [route.method].flat().map((name) => name.toUpperCase() as HTTPMethod)) {
      // The same path and method twice (HEAD beside GET) is one entry.
      if (!mirror.hasRoute(method, route.url)) mirror.on(method, route.url, () => {}, { fallback })
    }
  })
  return (request) => {
    const path = request.url.split('?', 1)[0]!
    const allowed = METHODS.filter((method) => {
      const found = mirror.find(method as HTTPMethod, path)
      return found !== null && !(found.store as { fallback: boolean }).fallback
    })
    // A route took the method but found nothing (a missing file): that is a 404 too.
    return allowed.length > 0 && !allowed.includes(request.method)
      ? new MethodNotAllowedError(request.method, allowed)
      : new NotFoundError('there is nothing here: check the path')
  }
}
