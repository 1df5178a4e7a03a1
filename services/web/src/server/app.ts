import { relative, sep } from 'node:path'
import fastifyStatic from '@fastify/static'
import Type from 'typebox'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'

/** Hashed build output: its names change whenever its content does, so it can be cached for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Everything else is revalidated (ETag / Last-Modified) on each use, so a deploy shows at once. */
const REVALIDATE = 'no-cache'
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: https://tile.openstreetmap.org",
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
 */
export function buildApp(options: HttpAppOptions & { distDir: string }) {
  const { distDir } = options
  const app = createHttpApp(options)

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
      if (path.endsWith('.html')) {
        reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
        reply.header('referrer-policy', 'strict-origin-when-cross-origin')
        reply.header('x-frame-options', 'DENY')
      }
    },
  })

  app.get('/*', { schema: { params: Params } }, (request, reply) => {
    const path = request.params['*']
    const lastSegment = path.slice(path.lastIndexOf('/') + 1)
    return reply.sendFile(lastSegment.includes('.') ? path : 'index.html')
  })

  return app
}
