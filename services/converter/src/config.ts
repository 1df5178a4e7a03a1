import { tmpdir } from 'node:os'
import { logLevel, opsConfig, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  /** A worker: no API, only the operational endpoints. */
  ...opsConfig(9085),
  LOG_LEVEL: logLevel(),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  /** Where media serves its internal API: the videos to convert and the MP3s handed back. */
  MEDIA_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8084' }),
  /** Conversions at once in this process (the consumer's prefetch): ffmpeg uses about one core each. */
  CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  /** A conversion (ffprobe + ffmpeg) running longer is killed; the job is retried, then failed. */
  CONVERSION_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 600_000 }),
  /** Attempts of a job that fails for a passing reason (media down, timeout) before it is failed. */
  MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  /** Wait before the first retry, doubled for each further one (at most 30 s). */
  RETRY_DELAY_MS: Type.Integer({ minimum: 0, default: 2000 }),
  /** ffmpeg and ffprobe: names on the PATH or paths. */
  FFMPEG_PATH: Type.String({ minLength: 1, default: 'ffmpeg' }),
  FFPROBE_PATH: Type.String({ minLength: 1, default: 'ffprobe' }),
  /** Each job's video and MP3 live in a folder of their own under this one, removed when it ends. */
  WORK_DIR: Type.String({ minLength: 1, default: tmpdir() }),
})
export type Config = Static<typeof Config>
