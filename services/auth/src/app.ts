import { randomUUID } from 'node:crypto'
import { createLocalJWKSet } from 'jose'
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import {
  Me,
  NewUser,
  Password,
  RefreshRequest,
  TokenPair,
  User,
  UserChanges,
  Username,
} from '@convoy/contracts'
import { authenticate, createVerifier, requireRole } from '@convoy/platform/auth'
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '@convoy/platform/errors'
import { createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import { basicCredentials, BASIC_CHALLENGE } from './basic.ts'
import type { SigningKeys } from './keys.ts'
import type { PasswordHasher } from './passwords.ts'
import { fixedWindowLimiter } from './rate-limit.ts'
import type { AuthStore } from './store.ts'

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
const PUBLIC = new Set(['/auth/login', '/auth/refresh', '/auth/.well-known/jwks.json'])
const WRONG_CREDENTIALS = 'wrong username or password'

/** The auth service's HTTP API (under `/auth`, which the gateway serves as `/api/auth`). */
export function buildApp(
  options: HttpAppOptions & {
    store: AuthStore
    keys: SigningKeys
    hasher: PasswordHasher
    settings: AuthSettings
  },
) {
  const { store, keys, hasher, settings } = options
  const app = createHttpApp(options)
  // Its own tokens, verified like every other service does, with the keys it holds.
  const verifier = createVerifier({
    keys: (header, token) => createLocalJWKSet(keys.jwks())(header, token),
    issuer: settings.issuer,
    audience: settings.audience,
  })
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

  async function tokenPair(username: string, role: string, family?: string) {
    const accessToken = await keys.sign({ role }, (jwt) =>
      jwt
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(username)
        .setIssuedAt()
        .setExpirationTime(`${settings.accessTtlSeconds}s`)
        .setJti(randomUUID()),
    )
    const refreshToken = await store.issueRefreshToken(username, settings.refreshTtlSeconds, family)
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
      await store.setPasswordHash(username, await hasher.hash(credentials.password))
    }
    request.log.info({ username }, 'logged in')
    void reply.header('cache-control', 'no-store')
    return tokenPair(user.username, user.role)
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
      return tokenPair(outcome.username, outcome.role, outcome.family)
    },
  )

  app.post('/auth/logout', { schema: { body: RefreshRequest } }, async (request, reply) => {
    await store.revokeFamilyOf(request.body.refreshToken, request.principal!.username)
    return reply.code(204).send()
  })

  app.get('/auth/me', { schema: { response: { 200: Me } } }, async (request) => ({
    username: request.principal!.username,
    role: request.principal!.role,
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
      request.log.info({ username, role: request.body.role, by: request.principal!.username }, 'user created')
      return reply.code(201).send({ username, role: request.body.role, disabled: false })
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
      request.log.info(
        { username, changed: Object.keys(request.body), by: request.principal!.username },
        'user changed',
      )
      return result
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
      request.log.info({ username, by: request.principal!.username }, 'user deleted')
      return reply.code(204).send()
    },
  )

  return app
}
