import { logLevel, opsConfig, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  /** A worker: no API, only the operational endpoints. */
  ...opsConfig(9082),
  LOG_LEVEL: logLevel(),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  /** How many of the 38 recorded vehicles drive. */
  VEHICLES: Type.Integer({ minimum: 0, maximum: 38, default: 38 }),
  /** Extra vehicles for load tests, spread along the same tracks, named `Load 00001`... */
  SYNTHETIC_VEHICLES: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  /** How much faster than real time the vehicles drive (their reported speed grows with it). */
  SPEEDUP: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1 }),
  /** Each vehicle reports its position once per interval. */
  REPORT_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /** Reports awaiting the broker's confirm at once; beyond this the simulator skips a beat. */
  MAX_IN_FLIGHT: Type.Integer({ minimum: 1, maximum: 100_000, default: 2000 }),
})
export type Config = Static<typeof Config>
