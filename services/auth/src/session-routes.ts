import { randomUUID } from 'node:crypto'
import { Counter } from 'prom-client'
import { Compile } from 'typebox/compile'
import { Me, Password, PasswordChange, RefreshRequest, TokenPair, Username } from '@convoy/contracts'
import {
  BadRequestError,
  ForbiddenError,
  TooManyRequestsError,
  UnauthorizedError,
} from '@convoy/platform/errors'
import type { HttpApp } from '@convoy/platform/http'
import type { Logger } from '@convoy/platform/log'
import type { AuthContext } from './context.ts'
import { basicCredentials, BASIC_CHALLENGE } from './basic.ts'
import { MIN_ADMIN_LENGTH, passwordProblem } from './password-policy.ts'
import type { Lockout } from './login-throttle.ts'
import type { SessionUser } from './store.ts'

const isUsername = Compile(Username)
const isPassword = Compile(Password)
const WRONG_CREDENTIALS = 'wrong username or password'

/** Whether a password the user just typed would do for an admin (NIST's longer minimum). */
export const adminGrade = (password: string, username: string) =>
  [...password].length >= MIN_ADMIN_LENGTH && !passwordProblem(password, { username, role: 'admin' })

/**
 * A user's session: login (HTTP Basic → a token pair), refresh, logout, who they are, and setting
 * their own password. Every login attempt passes the throttle first (login-throttle.ts).
 */
export function sessionRoutes(app: HttpApp, context: AuthContext) {
  const { store, keys, hasher, settings, throttle } = context
  // What became of each login: signed in, refused (wrong credentials, unknown or disabled user), or
  // throttled (too many failures: the password was not even checked). Each from the start, so that a
  // rate over it is defined before the first login.
  const logins = new Counter({
    name: 'auth_logins_total',
    help: 'Login attempts, by outcome: success, refused (wrong credentials or disabled), throttled',
    labelNames: ['outcome'] as const,
    registers: [app.metricsRegistry],
  })
  for (const outcome of ['success', 'refused', 'throttled'] as const) logins.inc({ outcome }, 0)
  // Each lockout once, as it begins: a username refused to every address, or an address refused
  // whatever the username, until its window ends (login-throttle.ts).
  const lockouts = new Counter({
    name: 'auth_lockouts_total',
    help: 'Lockouts begun, by scope: user (a username refused from every address) or address (an address refused for every username)',
    labelNames: ['scope'] as const,
    registers: [app.metricsRegistry],
  })
  for (const scope of ['user', 'address'] as const) lockouts.inc({ scope }, 0)
  // And a log line, so that the logs' "failed logins and lockouts" search finds the lockout with its
  // request (deploy/k8s/components/logging).
  const lockedOut = (scope: Lockout | undefined, username: string, log: Pick<Logger, 'warn'>) => {
    if (!scope) return
    lockouts.inc({ scope })
    log.warn({ scope, username: isUsername.Check(username) ? username : undefined }, 'login locked out')
  }

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

  /**
   * The user whose password this is, after the throttle let the attempt through; undefined for an
   * unknown user, a malformed name, a wrong password or a disabled account, after the same work.
   */
  async function checkPassword(
    username: string,
    password: string,
    address: string,
    log: Pick<Logger, 'warn'>,
  ) {
    lockedOut(await throttle.admit(username, address), username, log)
    const user = isUsername.Check(username) ? await store.findUser(username) : undefined
    const valid = isPassword.Check(password) && (await hasher.verify(user?.password_hash, password))
    if (!user || !valid || user.disabled) {
      lockedOut(await throttle.failed(username), username, log)
      return undefined
    }
    await throttle.succeeded(username, address)
    // What a login learns of the password: its hash is out of date, or it would (not) do for an admin.
    const grade = adminGrade(password, username)
    const outdated = hasher.outdated(user.password_hash)
    if (outdated || grade !== user.admin_grade_password)
      await store.notePassword(user.id, {
        adminGrade: grade,
        ...(outdated ? { hash: await hasher.hash(password) } : {}),
      })
    return user
  }

  app.post('/auth/login', { schema: { response: { 200: TokenPair } } }, async (request, reply) => {
    // A browser shows its own login dialog on a Basic challenge; the web app asks not to get one.
    const challenge = request.headers['x-requested-with'] ? 'Bearer realm="convoy"' : BASIC_CHALLENGE
    const credentials = basicCredentials(request.headers.authorization, challenge)
    const username = credentials.username.toLowerCase()
    const user = await checkPassword(username, credentials.password, request.ip, request.log).catch(
      (error: unknown) => {
        if (error instanceof TooManyRequestsError) logins.inc({ outcome: 'throttled' })
        throw error
      },
    )
    if (!user) {
      logins.inc({ outcome: 'refused' })
      request.log.info({ username: isUsername.Check(username) ? username : undefined }, 'login refused')
      throw new UnauthorizedError(WRONG_CREDENTIALS, challenge)
    }
    logins.inc({ outcome: 'success' })
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

  // A user sets their own password: the current one is required (and throttled like a login);
  // every session of theirs ends, and this client gets a fresh one.
  app.post(
    '/auth/me/password',
    { schema: { body: PasswordChange, response: { 200: TokenPair } } },
    async (request, reply) => {
      const { userId, username, role } = request.principal!
      const { currentPassword, newPassword } = request.body
      const user = await checkPassword(username, currentPassword, request.ip, request.log)
      if (!user || user.id !== userId) throw new ForbiddenError('the current password is not right')
      const problem = passwordProblem(newPassword, { username, role })
      if (problem) throw new BadRequestError(problem)
      const changed = await store.changeOwnPassword(userId, {
        hash: await hasher.hash(newPassword),
        adminGrade: adminGrade(newPassword, username),
      })
      if (!changed) throw new UnauthorizedError('the account is gone or disabled; log in again')
      context.revoked(changed.revocation)
      request.log.info({ username, userId }, 'password changed by its user; every other session ended')
      void reply.header('cache-control', 'no-store')
      return tokenPair(changed)
    },
  )
}
