import { logLevel, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8080),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: logLevel(),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  POSITION_TRACKER_URL: Type.String({ default: 'http://127.0.0.1:8081' }),
  WEB_URL: Type.String({ default: 'http://127.0.0.1:8090' }),
  /** A service that has not answered (headers, then each body chunk) within this is given up on: 504. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** Live updates are batched into one frame per interval. */
  LIVE_FLUSH_MS: Type.Integer({ minimum: 10, maximum: 1000, default: 100 }),
  /** A client with more than this many bytes unsent is too slow and is dropped. */
  LIVE_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
  LIVE_MAX_CLIENTS: Type.Integer({ minimum: 1, default: 20_000 }),
  /** Clients that do not answer a ping within this period are dropped. */
  LIVE_PING_MS: Type.Integer({ minimum: 100, default: 30_000 }),
})
export type Config = Static<typeof Config>
