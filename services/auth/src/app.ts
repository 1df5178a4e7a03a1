import { createLocalJWKSet } from 'jose'
import { AlertRecipients, MAY_RECEIVE_FLEET_ALERTS, Revocations } from '@convoy/contracts'
import { authenticate, createVerifier, type Revocation, type RevocationList } from '@convoy/access'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import type { AuthContext } from './context.ts'
import { preferenceRoutes } from './preference-routes.ts'
import { sessionRoutes } from './session-routes.ts'
import { userRoutes } from './user-routes.ts'

/** Where the verifiers read the revocations that can still matter: never forwarded by the gateway. */
export const REVOCATIONS_PATH = '/internal/revocations'
/** Where notification reads whom to email fleet alerts: never forwarded by the gateway. */
export const ALERT_RECIPIENTS_PATH = '/internal/alert-recipients'
/**
 * Open without a token: login, refresh, the keys, and the internal reads of the other services
 * (which only they can reach: the gateway forwards `/api/auth…` alone, and the deployments let
 * nothing else in).
 */
const PUBLIC = new Set([
  '/auth/login',
  '/auth/refresh',
  '/auth/.well-known/jwks.json',
  REVOCATIONS_PATH,
  ALERT_RECIPIENTS_PATH,
])
/** Clock skew allowed for on top of an access token's lifetime, as verifiers allow it. */
export const SKEW_SECONDS = 60

/**
 * The auth service's HTTP API (under `/auth`, which the gateway serves as `/api/auth`): sessions
 * (session-routes.ts), user admin (user-routes.ts), one's own preferences (preference-routes.ts),
 * the public keys, the verifiers' `GET /internal/revocations` and notification's
 * `GET /internal/alert-recipients`. Builds the app; never listens (main.ts does).
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
  preferenceRoutes(app, context)

  app.get('/auth/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=60')
    return keys.jwks()
  })

  app.get(REVOCATIONS_PATH, { schema: { response: { 200: Revocations } } }, async () => ({
    revocations: await options.store.revocationsSince(
      new Date(Date.now() - (settings.accessTtlSeconds + SKEW_SECONDS) * 1000),
    ),
  }))

  app.get(ALERT_RECIPIENTS_PATH, { schema: { response: { 200: AlertRecipients } } }, () =>
    options.store.alertRecipients(MAY_RECEIVE_FLEET_ALERTS),
  )

  return app
}
