import { relative, sep } from 'node:path'
import fastifyStatic from '@fastify/static'
import Type from 'typebox'
import { WebConfig } from '@convoy/contracts'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { Tiles } from './tiles.ts'

/** Hashed build output: its names change whenever its content does, so it can be cached for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Everything else is revalidated (ETag / Last-Modified) on each use, so a deploy shows at once. */
const REVALIDATE = 'no-cache'
/** The page's Content-Security-Policy: its own files, and the map tiles' origin for images. */
const contentSecurityPolicy = (tiles: Tiles) =>
  [
    "default-src 'self'",
    ['img-src', "'self'", 'data:', ...(tiles.imgSource ? [tiles.imgSource] : [])].join(' '),
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join('; ')

const Params = Type.Object({ '*': Type.String() })

/**
 * Serves the built browser app from `distDir`: files as they are, and `index.html` for any other
 * path without an extension (the app's pages). A missing file is a problem+json 404, never the
 * app's HTML (a stale page asking for an old hashed script must see it fail, not parse HTML as JS).
 * `GET /config.json` tells the app what its build cannot know: the map tiles of this deployment.
 */
export function buildApp(options: HttpAppOptions & { distDir: string; tiles: Tiles }) {
  const { distDir } = options
  const app = createHttpApp(options)
  const policy = contentSecurityPolicy(options.tiles)

  void app.register(fastifyStatic, {
    root: distDir,
    serve: false,
    cacheControl: false,
    // The build writes .br and .gz twins of text assets (build/compress-plugin.ts).
    preCompressed: true,
    dotfiles: 'deny',
    setHeaders: (reply, path) => {
      const hashed = relative(distDir, path).startsWith(`assets${sep}`)
      reply.header('cache-control', hashed ? IMMUTABLE : REVALIDATE)
      reply.header('x-content-type-options', 'nosniff')
      // `path` is the file sent: for a client taking compressed answers (every browser), the
      // page's .br or .gz twin, which is the page all the same.
      if (/\.html(\.br|\.gz)?$/.test(path)) {
        reply.header('content-security-policy', policy)
        reply.header('referrer-policy', 'strict-origin-when-cross-origin')
        reply.header('x-frame-options', 'DENY')
      }
    },
  })

  // Revalidated on every use, like index.html: a changed setting shows at the next load.
  app.get('/config.json', { schema: { response: { 200: WebConfig } } }, async (_request, reply) => {
    void reply.header('cache-control', REVALIDATE)
    return options.tiles.config
  })

  app.get('/*', { schema: { params: Params } }, (request, reply) => {
    const path = request.params['*']
    const lastSegment = path.slice(path.lastIndexOf('/') + 1)
    return reply.sendFile(lastSegment.includes('.') ? path : 'index.html')
  })

  return app
}
