import { ROLES, type Role } from '@convoy/contracts'
import type { FastifyRequest } from 'fastify'
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'
import type { Registry } from 'prom-client'
import type { Broker } from '@convoy/platform/messaging'
import type { Logger } from '@convoy/platform/log'
import { Type } from '@convoy/platform/config'
import { ForbiddenError, UnauthorizedError, UnavailableError } from '@convoy/platform/errors'
import {
  createRevocationList,
  followRevocations,
  revocationsFrom,
  type RevocationList,
} from './revocations.ts'
import { verifierMetrics, type FailureReason, type VerifierMetrics } from './metrics.ts'

export { legacyUserId } from './legacy-id.ts'
export {
  createRevocationList,
  followRevocations,
  noRevocations,
  revocationsFrom,
  type Revocation,
  type RevocationList,
} from './revocations.ts'

/** Who a verified access token speaks for. */
export interface Principal {
  /** The user's immutable id (the token's `sub`): what they own is keyed by it. */
  userId: string
  /** The name they log in with, for display and logs (`preferred_username`). */
  username: string
  role: Role
  /** The user's session generation when the token was issued (`gen`): a revocation raises it. */
  generation: number
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number
}

/** The only signature algorithm tokens may use: what `auth` signs with. */
export const TOKEN_ALGORITHM = 'EdDSA'

export interface VerifierOptions {
  /** The auth service's JWKS: `http://auth.auth.svc.cluster.local/auth/.well-known/jwks.json`. */
  jwksUrl: string
  issuer: string
  audience: string
  /**
   * The sessions revoked since: a token whose generation a revocation passed is refused. Until the
   * list is loaded every token gets a 503 (nothing can be said of it yet).
   */
  revocations: RevocationList
  /** Clock skew tolerated on `exp` and `nbf`. Default 30 s. */
  clockToleranceSeconds?: number
  /** Verified tokens remembered until they expire, at most this many. Default 10,000. */
  cacheSize?: number
  /** The JWKS is fetched again for an unknown `kid` at most this often. Default 30 s. */
  jwksCooldownMs?: number
  /**
   * The service's registry: refusals by reason, failed JWKS fetches and revocations applied are
   * counted on it (metrics.ts). Nothing is counted without one.
   */
  metrics?: Registry
}

export interface Verifier {
  /** The principal of a valid access token; throws 401 if it is not valid, 503 if keys cannot be had. */
  verify(token: string): Promise<Principal>
}

/**
 * Verifies the access tokens `auth` issues, locally: signature against the auth service's JWKS
 * (fetched once, cached, fetched again when a token names an unknown `kid`, at most every 30 s),
 * `alg` against an allow-list of one, `iss`, `aud`, `exp`/`nbf` with a small clock skew, a known
 * role, and the user's sessions not revoked since it was issued (`revocations`, kept current from
 * auth's announcements: no call to auth per request). A verified token is remembered until it
 * expires, so a client's next request costs two map lookups rather than a signature check.
 *
 * @example
 * const verifier = createVerifier({ jwksUrl, issuer: 'convoy', audience: 'convoy-api', revocations })
 * app.addHook('onRequest', authenticate(verifier))
 */
export function createVerifier(
  options: VerifierOptions | (Omit<VerifierOptions, 'jwksUrl'> & { keys: JWTVerifyGetKey }),
): Verifier {
  const { revocations } = options
  const metrics = verifierMetrics(options.metrics, revocations)
  const keys =
    'keys' in options
      ? options.keys
      : createRemoteJWKSet(new URL(options.jwksUrl), {
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
          timeoutDuration: 5000,
          [customFetch]: countingFailures(metrics),
        })
  const tolerance = options.clockToleranceSeconds ?? 30
  const cacheSize = options.cacheSize ?? 10_000
  const verified = new Map<string, Principal>()
  const refuse = (reason: FailureReason, error: Error) => (metrics.failed(reason), error)
  const current = (principal: Principal) => {
    if (revocations.revoked(principal.userId, principal.generation))
      throw refuse(
        'revoked',
        new UnauthorizedError('the session has been revoked; log in again', invalidToken('revoked')),
      )
    return principal
  }

  return {
    async verify(token) {
      if (!revocations.loaded())
        throw refuse(
          'revocations_unknown',
          new UnavailableError('tokens cannot be checked right now (revocations unknown); try again shortly'),
        )
      const known = verified.get(token)
      if (known) {
        if (known.expiresAt + tolerance * 1000 > Date.now()) return current(known)
        verified.delete(token)
      }
      let payload
      try {
        ;({ payload } = await jwtVerify(token, keys, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'exp'],
          typ: 'JWT',
        }))
      } catch (error) {
        throw refuse(...verificationError(error))
      }
      let principal
      try {
        principal = principalOf(payload)
      } catch (error) {
        throw refuse('claims', error as Error)
      }
      // Oldest first out: a Map iterates in insertion order.
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!)
      verified.set(token, principal)
      return current(principal)
    },
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The principal of a verified token's claims; 401 when they do not name a user as auth does. */
function principalOf(payload: JWTPayload): Principal {
  const { role, gen, preferred_username: username } = payload
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
    throw new UnauthorizedError('the token names no known role', invalidToken('unknown role'))
  if (
    !payload.sub ||
    !UUID.test(payload.sub) ||
    typeof username !== 'string' ||
    !Number.isSafeInteger(gen) ||
    (gen as number) < 1
  )
    throw new UnauthorizedError('the token names no user; log in again', invalidToken('no user'))
  return {
    userId: payload.sub,
    username,
    role: role as Role,
    generation: gen as number,
    expiresAt: payload.exp! * 1000,
  }
}

const invalidToken = (description: string) =>
  `Bearer realm="convoy", error="invalid_token", error_description="${description}"`

/**
 * jose's fetch of the JWKS, counting the fetches that fail (no answer, timed out, not 200) on
 * the way: the verifier only sees the 503 they end in, one per token waiting for the keys.
 */
const countingFailures =
  (metrics: VerifierMetrics) =>
  async (...args: Parameters<typeof fetch>): Promise<Response> => {
    try {
      const response = await fetch(...args)
      if (!response.ok) metrics.jwksFetchFailed()
      return response
    } catch (error) {
      metrics.jwksFetchFailed()
      throw error
    }
  }

/**
 * A 401 naming what is wrong with the token (never echoing it), or a 503 if keys cannot be had;
 * with the reason it is counted under.
 */
function verificationError(error: unknown): [FailureReason, Error] {
  if (error instanceof errors.JWTExpired)
    return ['expired', new UnauthorizedError('the token has expired', invalidToken('expired'))]
  // The key set could not be had (auth down, timed out, answered badly; jose's generic error is
  // its "not 200 OK"): nothing is known about the token, so not a 401.
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    error.constructor === errors.JOSEError
  ) {
    return [
      'keys_unavailable',
      new UnavailableError(
        'tokens cannot be checked right now (their keys are unavailable); try again shortly',
      ),
    ]
  }
  const [reason, detail]: [FailureReason, string] =
    error instanceof errors.JWTClaimValidationFailed
      ? ['claims', `the token's ${error.claim} claim is not accepted`]
      : error instanceof errors.JOSEAlgNotAllowed
        ? ['algorithm', 'the token is not signed with an accepted algorithm']
        : error instanceof errors.JWKSNoMatchingKey
          ? ['unknown_key', 'the token is signed with an unknown key']
          : error instanceof errors.JWSSignatureVerificationFailed
            ? ['bad_signature', 'the token signature does not verify']
            : ['malformed', 'the token is malformed']
  return [reason, new UnauthorizedError(detail, invalidToken(detail.replace(/^the token('s)? /, '')))]
}

/** The bearer token of an `Authorization` header; throws 401 if there is none or it is not one. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new UnauthorizedError('this route needs an access token: Authorization: Bearer <token>')
  const match = /^Bearer +([\w-]+\.[\w-]+\.[\w-]+) *$/i.exec(header)
  if (!match)
    throw new UnauthorizedError('the Authorization header is not a bearer token', invalidToken('malformed'))
  return match[1]!
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on every request it lets through. */
    principal?: Principal
  }
}

/**
 * A Fastify `onRequest` hook: lets through requests with a valid access token (setting
 * `request.principal`) and answers every other with a 401 problem; any path `isPublic` names
 * needs no token.
 */
export function authenticate(verifier: Verifier, isPublic: (path: string) => boolean = () => false) {
  return async (request: FastifyRequest) => {
    if (isPublic(request.url.split('?', 1)[0]!)) return
    request.principal = await verifier.verify(bearerToken(request.headers.authorization))
  }
}

/** A `preHandler` that refuses (403) a principal whose role is not one of `roles`. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest) => {
    const role = request.principal?.role
    if (!role) throw new UnauthorizedError('this route needs an access token')
    if (!roles.includes(role))
      throw new ForbiddenError(`this needs the role ${roles.join(' or ')}; yours is ${role}`)
  }
}

/** How a service verifies tokens: the verifier, and the revocations it follows on the broker. */
export interface TokenVerification {
  verifier: Verifier
  revocations: RevocationList
  /** For readiness: the revocations are known (so tokens can be judged at all). */
  isReady: () => boolean
  /** Stops following revocations. */
  close(): Promise<void>
}

/**
 * Token verification as every service but auth sets it up, from the variables of
 * {@link VerifierConfig}: the JWKS and the revocations from auth, and auth's announcements of new
 * revocations on `broker`.
 *
 * @example
 * const tokens = verifyTokens({ config, broker, log })
 * const app = buildApp({ verifier: tokens.verifier })
 * // readiness: { tokens: tokens.isReady }; drain: [['tokens', () => tokens.close()]]
 */
export function verifyTokens(options: {
  config: { AUTH_JWKS_URL: string; AUTH_REVOCATIONS_URL: string; AUTH_ISSUER: string; AUTH_AUDIENCE: string }
  broker: Broker
  log: Logger
  /** The service's registry, for the verifier's counters. */
  metrics?: Registry
}): TokenVerification {
  const { config } = options
  const revocations = createRevocationList()
  const following = followRevocations({
    broker: options.broker,
    list: revocations,
    snapshot: revocationsFrom(config.AUTH_REVOCATIONS_URL),
    log: options.log,
  })
  return {
    verifier: createVerifier({
      jwksUrl: config.AUTH_JWKS_URL,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      revocations,
      metrics: options.metrics,
    }),
    revocations,
    isReady: () => revocations.loaded(),
    close: () => following.close(),
  }
}

/** The configuration every service that verifies tokens shares; spread it into its config schema. */
export const VerifierConfig = {
  AUTH_JWKS_URL: Type.String({ default: 'http://127.0.0.1:8083/auth/.well-known/jwks.json' }),
  /** Auth's internal list of recent revocations (never forwarded by the gateway). */
  AUTH_REVOCATIONS_URL: Type.String({ default: 'http://127.0.0.1:8083/internal/revocations' }),
  AUTH_ISSUER: Type.String({ default: 'convoy' }),
  AUTH_AUDIENCE: Type.String({ default: 'convoy-api' }),
}
