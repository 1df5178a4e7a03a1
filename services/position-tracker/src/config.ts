import { VerifierConfig } from '@convoy/access'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8081),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9081),
  LOG_LEVEL: logLevel(),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/position_tracker' }),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  ...VerifierConfig,
  /** Positions older than this are deleted, in small chunks, in the background. */
  RETENTION_DAYS: Type.Number({ exclusiveMinimum: 0, default: 7 }),
  RETENTION_SWEEP_SECONDS: Type.Number({ exclusiveMinimum: 0, default: 60 }),
  /** Unacknowledged reports held at once; also bounds memory. */
  PREFETCH: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
  /** Reports written per transaction, and the longest a report waits for its batch. */
  BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5000, default: 250 }),
  BATCH_WAIT_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 20 }),
  /** Batches written at once: their transactions overlap, each vehicle's rows locked in turn. */
  FLUSH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 16, default: 3 }),
  /**
   * History reads run at once (each holds a database connection of the 10 ingestion shares) and
   * how many more may wait for a turn; beyond, 503 with Retry-After.
   */
  HISTORY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 8, default: 4 }),
  HISTORY_QUEUE: Type.Integer({ minimum: 0, maximum: 1000, default: 16 }),
})
export type Config = Static<typeof Config>
