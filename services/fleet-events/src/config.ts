import { VerifierConfig } from '@convoy/access'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8087),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9087),
  LOG_LEVEL: logLevel(),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/fleet_events' }),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  ...VerifierConfig,
  /** Unacknowledged reports held at once; also bounds memory. */
  PREFETCH: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  /** Reports evaluated per transaction, and the longest a report waits for its batch. */
  BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
  BATCH_WAIT_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 20 }),
  /**
   * How often the sweep looks for vehicles whose signal was lost and for events the broker has
   * not confirmed; and how long an event waits for its first publish before the sweep takes it.
   */
  SWEEP_EVERY_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 15_000 }),
  REPUBLISH_AFTER_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000 }),
})
export type Config = Static<typeof Config>
