import { createLocalJWKSet } from 'jose'
import { Revocations } from '@convoy/contracts'
import { authenticate, createVerifier, type Revocation, type RevocationList } from '@convoy/access'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { AuthContext } from './context.ts'
import { sessionRoutes } from './session-routes.ts'
import { userRoutes } from './user-routes.ts'

/** Where the verifiers read the revocations that can still matter: never forwarded by the gateway. */
export const REVOCATIONS_PATH = '/internal/revocations'
/** Open without a token: login, refresh, the keys, and the verifiers' list of revocations. */
const PUBLIC = new Set(['/auth/login', '/auth/refresh', '/auth/.well-known/jwks.json', REVOCATIONS_PATH])
/** Clock skew allowed for on top of an access token's lifetime, as verifiers allow it. */
export const SKEW_SECONDS = 60

/**
 * The auth service's HTTP API (under `/auth`, which the gateway serves as `/api/auth`): sessions
 * (session-routes.ts), user admin (user-routes.ts), the public keys, and the verifiers'
 * `GET /internal/revocations`. Builds the app; never listens (main.ts does).
 */
export function buildApp(
  options: HttpAppOptions &
    Omit<AuthContext, 'revoked'> & {
      /** The sessions revoked: applied here at once, and announced to every other verifier. */
      revocations: RevocationList
      announce: (revocation: Revocation) => void
    },
) {
  const { keys, settings, revocations } = options
  const app = createHttpApp(options)
  // Its own tokens, verified like every other service does, with the keys it holds.
  const verifier = createVerifier({
    keys: (header, token) => createLocalJWKSet(keys.jwks())(header, token),
    issuer: settings.issuer,
    audience: settings.audience,
    revocations,
    metrics: app.metricsRegistry,
  })
  app.addHook(
    'onRequest',
    authenticate(verifier, (path) => PUBLIC.has(path)),
  )
  const context: AuthContext = {
    ...options,
    revoked(revocation) {
      if (!revocation) return
      revocations.apply(revocation)
      options.announce(revocation)
    },
  }
  sessionRoutes(app, context)
  userRoutes(app, context)

  app.get('/auth/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=60')
    return keys.jwks()
  })

  app.get(REVOCATIONS_PATH, { schema: { response: { 200: Revocations } } }, async () => ({
    revocations: await options.store.revocationsSince(
      new Date(Date.now() - (settings.accessTtlSeconds + SKEW_SECONDS) * 1000),
    ),
  }))

  return app
}
