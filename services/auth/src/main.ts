import { userRevoked, type UserRevoked } from '@convoy/contracts'
import { createRevocationList, followRevocations, type Revocation } from '@convoy/access'
import { ConfigError, loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp, SKEW_SECONDS } from './app.ts'
import { loginThrottle } from './login-throttle.ts'
import { passwordProblem } from './password-policy.ts'
import { Config } from './config.ts'
import { signingKeys } from './keys.ts'
import { migrations, type Tables } from './migrations.ts'
import { passwordHasher, randomPassword } from './passwords.ts'
import { authStore } from './store.ts'

export const SERVICE = 'auth'

export interface RunningAuth extends RunningService {
  url: string
  opsUrl: string
  /** Set on the start that created the first admin with a generated password: show it once. */
  notice?: string
}

export async function start(env: Env): Promise<RunningAuth> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const store = authStore(database.db)
  const hasher = await passwordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
  })
  const keys = await signingKeys(database.db, {
    rotationDays: config.SIGNING_KEY_ROTATION_DAYS,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    log,
  })

  // The first admin, on the first start only. Its password is never logged: a generated one is
  // handed back for the launcher (or the process) to show once; a chosen one must do for an admin.
  const username = config.CONVOY_ADMIN_USERNAME.toLowerCase()
  const password = config.CONVOY_ADMIN_PASSWORD ?? randomPassword()
  const weak = passwordProblem(password, { username, role: 'admin' })
  if (weak && !(await store.hasUsers())) {
    await database.close()
    throw new ConfigError(`invalid configuration: CONVOY_ADMIN_PASSWORD: ${weak}`)
  }
  let notice: string | undefined
  if (await store.createFirstAdmin(username, await hasher.hash(password))) {
    log.info({ username }, 'first admin created')
    if (!config.CONVOY_ADMIN_PASSWORD) {
      notice = `First start: created the admin user "${username}" with password ${password} (shown only this once; change it under Users).`
    }
  }

  // Revocations that can still matter: those younger than an access token's lifetime.
  const relevantSince = () => new Date(Date.now() - (config.ACCESS_TOKEN_TTL_SECONDS + SKEW_SECONDS) * 1000)
  const throttle = loginThrottle(database.db, {
    freeFailures: config.LOGIN_FREE_FAILURES,
    firstDelaySeconds: config.LOGIN_FIRST_DELAY_SECONDS,
    maxDelaySeconds: config.LOGIN_MAX_DELAY_SECONDS,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
    maxFailuresPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
    maxAttemptsPerAddress: config.LOGIN_MAX_ATTEMPTS_PER_IP,
  })
  const sweep = setInterval(() => {
    Promise.all([store.deleteExpired(relevantSince()), throttle.sweep()]).catch((error: unknown) =>
      log.warn({ err: error }, 'expired tokens and login counters not deleted'),
    )
  }, 3_600_000)
  sweep.unref()

  // Auth verifies its own tokens like every other service, and hears the revocations its other
  // replicas make; the complete list comes from its own database.
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const revocations = createRevocationList()
  const following = followRevocations({
    broker,
    list: revocations,
    snapshot: () => store.revocationsSince(relevantSince()),
    log,
  })
  // The database has it already; verifiers that miss the announcement read it within 30 s.
  const announce = (revocation: Revocation) => {
    const event: UserRevoked = { version: 1, ...revocation }
    broker
      .publish(userRevoked, event, {
        messageId: `${userRevoked.routingKey}:${revocation.userId}:${revocation.generation}`,
      })
      .catch((error: unknown) =>
        log.warn(
          { err: error, userId: revocation.userId },
          'revocation not announced; verifiers will read it',
        ),
      )
  }

  const app = buildApp({
    service: SERVICE,
    log,
    metrics,
    trustProxy: config.TRUST_PROXY,
    store,
    keys,
    hasher,
    revocations,
    announce,
    settings: {
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    },
    throttle,
  })
  const running = await serve({
    log,
    listen: config,
    api: app,
    metrics,
    // Not the broker: logins go on without it (revocations are read from the database meanwhile).
    readiness: { database: database.ping, revocations: () => revocations.loaded() },
    drain: [['revocations', () => following.close()]],
    release: [
      ['signing keys', async () => (keys.close(), clearInterval(sweep))],
      ['broker', () => broker.close()],
      ['database', () => database.close()],
    ],
  })
  return { ...running, notice }
}

if (import.meta.main) runUntilSignal(() => start(process.env))
