import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'
import { VerifierConfig } from '@convoy/platform/auth'

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
  /** Its password; when unset, a random one is made and shown once. */
  CONVOY_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  /** argon2id cost: OWASP's minimum (19 MiB, 2 passes, 1 lane) by default; see docs/benchmarks.md. */
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, default: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, default: 2 }),
  /** Login attempts are counted per window: failures per username, all attempts per client address. */
  LOGIN_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  LOGIN_MAX_FAILURES_PER_USER: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_MAX_ATTEMPTS_PER_IP: Type.Integer({ minimum: 1, default: 100 }),
  /** Proxies (the gateway) whose X-Forwarded-For names the client: loopback and private ranges. */
  TRUST_PROXY: Type.String({ default: '127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16' }),
})
export type Config = Static<typeof Config>
