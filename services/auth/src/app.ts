import { randomUUID } from 'node:crypto'
import { createLocalJWKSet } from 'jose'
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import {
  Me,
  NewUser,
  Password,
  RefreshRequest,
  Revocations,
  TokenPair,
  User,
  UserChanges,
  Username,
} from '@convoy/contracts'
import {
  authenticate,
  createVerifier,
  requireRole,
  type Revocation,
  type RevocationList,
} from '@convoy/platform/auth'
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import { basicCredentials, BASIC_CHALLENGE } from './basic.ts'
import type { SigningKeys } from './keys.ts'
import type { PasswordHasher } from './passwords.ts'
import { fixedWindowLimiter } from './rate-limit.ts'
import type { AuthStore, SessionUser } from './store.ts'

export interface AuthSettings {
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlSeconds: number
  loginWindowSeconds: number
  maxFailuresPerUser: number
  maxAttemptsPerIp: number
}

const isUsername = Compile(Username)
const isPassword = Compile(Password)
const UserParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) })
/** Where the verifiers read the revocations that can still matter: never routed by the gateway. */
export const REVOCATIONS_PATH = '/internal/revocations'
/** Open without a token: login, refresh, the keys, and the verifiers' list of revocations. */
const PUBLIC = new Set(['/auth/login', '/auth/refresh', '/auth/.well-known/jwks.json', REVOCATIONS_PATH])
const WRONG_CREDENTIALS = 'wrong username or password'
/** Clock skew allowed for on top of an access token's lifetime, as verifiers allow it. */
export const SKEW_SECONDS = 60

/**
 * The auth service's HTTP API (under `/auth`, which the gateway serves as `/api/auth`), and the
 * verifiers' `GET /internal/revocations`.
 */
export function buildApp(
  options: HttpAppOptions & {
    store: AuthStore
    keys: SigningKeys
    hasher: PasswordHasher
    settings: AuthSettings
    /** The sessions revoked: applied here at once, and announced to every other verifier. */
    revocations: RevocationList
    announce: (revocation: Revocation) => void
  },
) {
  const { store, keys, hasher, settings, revocations } = options
  const app = createHttpApp(options)
  // Its own tokens, verified like every other service does, with the keys it holds.
  const verifier = createVerifier({
    keys: (header, token) => createLocalJWKSet(keys.jwks())(header, token),
    issuer: settings.issuer,
    audience: settings.audience,
    revocations,
  })
  /** A user's sessions ended: void their tokens here at once, and everywhere else within seconds. */
  const revoked = (revocation: Revocation | undefined) => {
    if (!revocation) return
    revocations.apply(revocation)
    options.announce(revocation)
  }
  app.addHook(
    'onRequest',
    authenticate(verifier, (path) => PUBLIC.has(path)),
  )

  const windowMs = settings.loginWindowSeconds * 1000
  const perUser = fixedWindowLimiter({
    windowMs,
    max: settings.maxFailuresPerUser,
    what: 'failed logins for this user',
  })
  const perIp = fixedWindowLimiter({
    windowMs,
    max: settings.maxAttemptsPerIp,
    what: 'login attempts from this address',
  })

  async function tokenPair(user: SessionUser, family?: string) {
    const claims = { role: user.role, preferred_username: user.username, gen: user.generation }
    const accessToken = await keys.sign(claims, (jwt) =>
      jwt
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(user.id)
        .setIssuedAt()
        .setExpirationTime(`${settings.accessTtlSeconds}s`)
        .setJti(randomUUID()),
    )
    const refreshToken = await store.issueRefreshToken(user.id, settings.refreshTtlSeconds, family)
    return { accessToken, tokenType: 'Bearer' as const, expiresIn: settings.accessTtlSeconds, refreshToken }
  }

  app.post('/auth/login', { schema: { response: { 200: TokenPair } } }, async (request, reply) => {
    // A browser shows its own login dialog on a Basic challenge; the web app asks not to get one.
    const challenge = request.headers['x-requested-with'] ? 'Bearer realm="convoy"' : BASIC_CHALLENGE
    const credentials = basicCredentials(request.headers.authorization, challenge)
    const username = credentials.username.toLowerCase()
    perIp.check(request.ip)
    perIp.hit(request.ip)
    perUser.check(username)
    // Unknown user, malformed name or wrong password: the same answer after the same work.
    const user = isUsername.Check(username) ? await store.findUser(username) : undefined
    const valid =
      isPassword.Check(credentials.password) &&
      (await hasher.verify(user?.password_hash, credentials.password))
    if (!user || !valid || user.disabled) {
      perUser.hit(username)
      request.log.info({ username: user ? username : undefined }, 'login refused')
      throw new UnauthorizedError(WRONG_CREDENTIALS, challenge)
    }
    perUser.reset(username)
    if (hasher.outdated(user.password_hash)) {
      await store.setPasswordHash(user.id, await hasher.hash(credentials.password))
    }
    request.log.info({ username, userId: user.id }, 'logged in')
    void reply.header('cache-control', 'no-store')
    return tokenPair(user)
  })

  app.post(
    '/auth/refresh',
    { schema: { body: RefreshRequest, response: { 200: TokenPair } } },
    async (request, reply) => {
      const outcome = await store.useRefreshToken(request.body.refreshToken)
      if (!outcome.ok) {
        if (outcome.reason === 'reused') request.log.warn('refresh token used twice: its session is revoked')
        throw new UnauthorizedError(
          `the refresh token is ${outcome.reason === 'user disabled' ? 'revoked' : outcome.reason === 'unknown' ? 'not valid' : outcome.reason}; log in again`,
          'Bearer realm="convoy"',
        )
      }
      void reply.header('cache-control', 'no-store')
      return tokenPair(outcome, outcome.family)
    },
  )

  app.post('/auth/logout', { schema: { body: RefreshRequest } }, async (request, reply) => {
    await store.revokeFamilyOf(request.body.refreshToken, request.principal!.userId)
    return reply.code(204).send()
  })

  app.get('/auth/me', { schema: { response: { 200: Me } } }, async (request) => ({
    id: request.principal!.userId,
    username: request.principal!.username,
    role: request.principal!.role,
  }))

  app.get(REVOCATIONS_PATH, { schema: { response: { 200: Revocations } } }, async () => ({
    revocations: await store.revocationsSince(
      new Date(Date.now() - (settings.accessTtlSeconds + SKEW_SECONDS) * 1000),
    ),
  }))

  app.get('/auth/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=60')
    return keys.jwks()
  })

  // ── User admin ──
  const admin = { preHandler: requireRole('admin') }
  const userName = (raw: string) => {
    const username = raw.toLowerCase()
    if (!isUsername.Check(username)) {
      throw new BadRequestError(
        'a username is 1–64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit',
      )
    }
    return username
  }
  const lastAdmin = () => new ConflictError('at least one enabled admin must remain')

  app.get('/auth/users', { ...admin, schema: { response: { 200: Type.Array(User) } } }, () =>
    store.listUsers(),
  )

  app.post(
    '/auth/users',
    { ...admin, schema: { body: NewUser, response: { 201: User } } },
    async (request, reply) => {
      const username = userName(request.body.username)
      const created = await store.createUser({
        username,
        passwordHash: await hasher.hash(request.body.password),
        role: request.body.role,
      })
      if (!created) throw new ConflictError(`a user named ${JSON.stringify(username)} already exists`)
      request.log.info(
        { username, userId: created.id, role: created.role, by: request.principal!.username },
        'user created',
      )
      return reply.code(201).send(created)
    },
  )

  app.patch(
    '/auth/users/:username',
    { ...admin, schema: { params: UserParams, body: UserChanges, response: { 200: User } } },
    async (request) => {
      const username = request.params.username.toLowerCase()
      const { password, ...rest } = request.body
      const result = await store.updateUser(username, {
        ...rest,
        ...(password ? { passwordHash: await hasher.hash(password) } : {}),
      })
      if (result === null) throw new NotFoundError(`no user named ${JSON.stringify(username)}`)
      if (result === 'last admin') throw lastAdmin()
      revoked(result.revocation)
      request.log.info(
        {
          username,
          userId: result.user.id,
          changed: Object.keys(request.body),
          sessionsEnded: result.revocation !== undefined,
          by: request.principal!.username,
        },
        'user changed',
      )
      return result.user
    },
  )

  app.delete(
    '/auth/users/:username',
    { ...admin, schema: { params: UserParams } },
    async (request, reply) => {
      const username = request.params.username.toLowerCase()
      const result = await store.deleteUser(username)
      if (result === false) throw new NotFoundError(`no user named ${JSON.stringify(username)}`)
      if (result === 'last admin') throw lastAdmin()
      revoked(result)
      request.log.info({ username, userId: result.userId, by: request.principal!.username }, 'user deleted')
      return reply.code(204).send()
    },
  )

  return app
}
