import { METHODS } from 'node:http'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { AppError, NotFoundError } from '../../errors/index.ts'

/**
 * How paths match routes: Fastify's `routerOptions`, which the mirror of {@link mirrorRoutes}
 * shares, so that it finds a path's routes as Fastify does.
 */
export const ROUTER_OPTIONS = { maxParamLength: 1024, ignoreTrailingSlash: true }

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

/** What the plugin adds to the app. */
export interface NoRoute {
  /** The 404 or 405 (with `Allow`) for a request no route takes: what a fallback route throws. */
  noRoute(request: FastifyRequest): AppError
}

/** The app's routes, mirrored into a router of their own by {@link mirrorRoutes}. */
export type RouteMirror = ReturnType<typeof FindMyWay>

/** A Fastify app as the mirror sees it (whatever the type of its logger): where routes are added. */
interface RouteSource {
  addHook(
    name: 'onRoute',
    hook: (route: { method: string | string[]; url: string; config?: unknown }) => void,
  ): unknown
}

/**
 * Mirrors the app's routes into a router of their own as they are added: Fastify's own router
 * cannot be asked which methods a path takes. A method whose route is a `fallback` one (`config:
 * { fallback: true }`: the gateway's `/api/*`, which answers for any method it has nothing for)
 * is marked, so it does not count as taken. Called when the app is made rather than from the
 * plugin: `onRoute` hooks run as each route is added, and a plugin loads only when the app
 * starts, after the routes its caller added at once.
 */
export function mirrorRoutes(app: RouteSource): RouteMirror {
  const mirror = FindMyWay(ROUTER_OPTIONS)
  app.addHook('onRoute', (route) => {
    const fallback = (route.config as FallbackConfig | undefined)?.fallback === true
    for (const method of [route.method].flat().map((name) => name.toUpperCase() as HTTPMethod)) {
      // The same path and method twice (HEAD beside GET) is one entry.
      if (!mirror.hasRoute(method, route.url)) mirror.on(method, route.url, () => {}, { fallback })
    }
  })
  return mirror
}

/**
 * Answers a request no route took: 405 with `Allow` when its path has routes for other methods,
 * else 404. Neither names the path: behind the gateway a service sees its internal path, which is
 * none of the caller's business. The answer is `app.noRoute(request)`, which a fallback route
 * throws too.
 */
export const allowedMethods = fp<{ routes: RouteMirror }>(
  async (app, { routes }) => {
    const noRoute: NoRoute['noRoute'] = (request) => {
      const path = request.url.split('?', 1)[0]!
      const allowed = METHODS.filter((method) => {
        const found = routes.find(method as HTTPMethod, path)
        return found !== null && !(found.store as { fallback: boolean }).fallback
      })
      // A route took the method but found nothing (a missing file): that is a 404 too.
      return allowed.length > 0 && !allowed.includes(request.method)
        ? new MethodNotAllowedError(request.method, allowed)
        : new NotFoundError('there is nothing here: check the path')
    }
    app.decorate('noRoute', noRoute)
    app.setNotFoundHandler((request) => {
      throw noRoute(request)
    })
  },
  { name: 'allowed-methods' },
)
