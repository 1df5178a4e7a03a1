import type { Revocation } from '@convoy/access'
import { createRevocationList } from '@convoy/access'
import { openDatabase } from '@convoy/platform/db'
import { createLogger } from '@convoy/platform/log'
import { buildApp } from './app.ts'
import { signingKeys } from './keys.ts'
import { loginThrottle, type ThrottleSettings } from './login-throttle.ts'
import { migrations, type Tables } from './migrations.ts'
import { passwordHasher } from './passwords.ts'
import { authStore } from './store.ts'

export const ADMIN_PASSWORD = 'correct horse battery staple'

export const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`

export type Pair = { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string }
export type Problem = { type: string; title: string; status: number; detail: string }

/**
 * The throttle's settings in the tests: small numbers, so limits are reached in a few requests,
 * and a first wait of a minute, which no test outlasts (a test makes time pass in the database).
 */
export const TEST_THROTTLE: ThrottleSettings = {
  freeFailures: 3,
  firstDelaySeconds: 60,
  maxDelaySeconds: 900,
  windowSeconds: 60,
  maxFailuresPerUser: 30,
  maxAttemptsPerAddress: 20,
}

/**
 * The auth app on a database of `url` (migrated), with the first admin (`admin`,
 * {@link ADMIN_PASSWORD}), the real argon2id at a low cost, and every log line kept. Two fixtures
 * on one database are two replicas. Requests are injected; `login` comes from `address`.
 */
export async function authFixture(
  url: string,
  options: { trustProxy?: string; throttle?: Partial<ThrottleSettings> } = {},
) {
  const logLines: string[] = []
  const log = createLogger({
    service: 'auth',
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  })
  const database = await openDatabase<Tables>({ url, log, migrations })
  const store = authStore(database.db)
  const hasher = await passwordHasher({ memoryKiB: 1024, timeCost: 1 })
  const keys = await signingKeys(database.db, { rotationDays: 30, accessTtlSeconds: 900, log })
  const firstAdmin = await store.createFirstAdmin('admin', await hasher.hash(ADMIN_PASSWORD))
  const revocations = createRevocationList()
  revocations.load(await store.revocationsSince(new Date(0)))
  const announced: Revocation[] = []
  const app = buildApp({
    service: 'auth',
    log,
    store,
    keys,
    hasher,
    revocations,
    announce: (revocation) => void announced.push(revocation),
    throttle: loginThrottle(database.db, { ...TEST_THROTTLE, ...options.throttle }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    settings: { issuer: 'convoy', audience: 'convoy-api', accessTtlSeconds: 900, refreshTtlSeconds: 3600 },
  })

  const login = (authorization: string | undefined, address: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress: address,
      headers: { ...(authorization === undefined ? {} : { authorization }), ...headers },
    })
  const as = (
    token: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    address?: string,
  ) =>
    app.inject({
      method,
      url,
      payload,
      headers: { authorization: `Bearer ${token}` },
      ...(address ? { remoteAddress: address } : {}),
    })
  const refresh = (refreshToken: string) =>
    app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })
  /** A series' value on `/metrics`: the one of `name` that carries `labels`. */
  const scraped = async (name: string, labels: Record<string, string> = {}) => {
    const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`)
    const line = (await app.metricsRegistry.metrics())
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && wanted.every((pair) => l.includes(pair)))
    return line === undefined ? undefined : Number(line.split(' ').pop())
  }

  return {
    app,
    database,
    store,
    keys,
    logLines,
    announced,
    firstAdmin,
    login,
    as,
    refresh,
    scraped,
    async close() {
      await app.close()
      keys.close()
      await database.close()
    },
  }
}
export type AuthFixture = Awaited<ReturnType<typeof authFixture>>
