import { VerifierConfig } from '@convoy/access'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8080),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9080),
  LOG_LEVEL: logLevel(),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  AUTH_URL: Type.String({ default: 'http://127.0.0.1:8083' }),
  ...VerifierConfig,
  POSITION_TRACKER_URL: Type.String({ default: 'http://127.0.0.1:8081' }),
  FLEET_EVENTS_URL: Type.String({ default: 'http://127.0.0.1:8087' }),
  MEDIA_URL: Type.String({ default: 'http://127.0.0.1:8084' }),
  NOTIFICATION_URL: Type.String({ default: 'http://127.0.0.1:8086' }),
  WEB_URL: Type.String({ default: 'http://127.0.0.1:8090' }),
  /** A service that has not answered (headers, then each body chunk) within this is given up on: 504. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * Largest video accepted at the edge: an upload declaring more is refused with 413 here, before
   * a byte goes on to media. Keep it equal to media's MAX_UPLOAD_BYTES (media checks again).
   */
  MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 200 * 1024 * 1024 }),
  /** The same for uploads (`POST /api/media`): media answers once the whole video is in. */
  UPLOAD_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 15 * 60_000 }),
  /**
   * Requests passed on to one service at once (the connections to it; uploads count apart), and
   * how many more wait their turn here. Beyond both: 503 with Retry-After, at once.
   */
  UPSTREAM_CONCURRENCY: Type.Integer({ minimum: 1, default: 128 }),
  UPSTREAM_QUEUE: Type.Integer({ minimum: 0, default: 128 }),
  /** Requests one client (a user, or an address before signing in) may make per window; then 429. */
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 300 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * Where every gateway replica counts requests: a Valkey or Redis server,
   * `redis://[:password@]host:6379`. Unset: each replica counts on its own (embedded mode).
   */
  RATE_LIMIT_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** The prefix of the counters' keys there (systems sharing one server count apart). */
  RATE_LIMIT_PREFIX: Type.String({ minLength: 1, default: 'convoy-rate:' }),
  /** Live updates are batched into one frame per interval. */
  LIVE_FLUSH_MS: Type.Integer({ minimum: 10, maximum: 1000, default: 100 }),
  /** A client with more than this many bytes unsent is too slow and is dropped. */
  LIVE_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
  LIVE_MAX_CLIENTS: Type.Integer({ minimum: 1, default: 20_000 }),
  /** Clients that do not answer a ping within this period are dropped. */
  LIVE_PING_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** A live client that has not sent a valid token this long after connecting is closed. */
  LIVE_AUTH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * Proxies in front of the gateway (a load balancer) whose X-Forwarded-For is believed, e.g. the
   * VPC's range of an ALB. Default: none, so a client cannot name itself another address. The
   * client address is passed on to services (auth limits login attempts by it).
   */
  TRUST_PROXY: Type.String({ default: '' }),
})
export type Config = Static<typeof Config>
