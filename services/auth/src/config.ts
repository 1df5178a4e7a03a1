import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'
import { VerifierConfig } from '@convoy/access'

export const Config = Type.Object({
  PORT: port(8083),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9083),
  LOG_LEVEL: logLevel(),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/auth' }),
  /** The broker: revocations are announced on it to every verifier. */
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  AUTH_ISSUER: VerifierConfig.AUTH_ISSUER,
  AUTH_AUDIENCE: VerifierConfig.AUTH_AUDIENCE,
  /** Access tokens are short-lived: they cannot be revoked, only left to expire. */
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, default: 7 * 86_400 }),
  /** A new signing key is made when the newest is this old; old keys verify until their tokens expire. */
  SIGNING_KEY_ROTATION_DAYS: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  /** The first admin, created on the first start (when there is no user at all). */
  CONVOY_ADMIN_USERNAME: Type.String({ default: 'admin' }),
  /**
   * Its password, on the first start (an admin's: 12 characters at least, not a common one, not
   * the username); unset: a random one, shown once.
   */
  CONVOY_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  /** argon2id cost: OWASP's minimum (19 MiB, 2 passes, 1 lane) by default; see docs/benchmarks.md. */
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, default: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, default: 2 }),
  /** Failed logins of one username from one address before each next attempt waits (1 s, 2 s, 4 s…). */
  LOGIN_FREE_FAILURES: Type.Integer({ minimum: 1, default: 5 }),
  /** The first such wait; each next one is twice as long. */
  LOGIN_FIRST_DELAY_SECONDS: Type.Integer({ minimum: 1, default: 1 }),
  /** The longest such wait. */
  LOGIN_MAX_DELAY_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** The window the two limits below count in. */
  LOGIN_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** Failed logins of one username from every address together, per window, before it is refused to all. */
  LOGIN_MAX_FAILURES_PER_USER: Type.Integer({ minimum: 1, default: 300 }),
  /** Login attempts from one client address, whatever the usernames, per window. */
  LOGIN_MAX_ATTEMPTS_PER_IP: Type.Integer({ minimum: 1, default: 100 }),
  /**
   * Proxies whose X-Forwarded-For names the client (the gateway: the launchers and the deployments
   * name where it runs). Default: none; every client is the address it connects from.
   */
  TRUST_PROXY: Type.String({ default: '' }),
})
export type Config = Static<typeof Config>
