import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { VerifierConfig } from '@convoy/access'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8084),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9084),
  LOG_LEVEL: logLevel(),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/media' }),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  ...VerifierConfig,
  /** Where videos and MP3s live: `file:///dir` (local disk, a PVC) or `s3://bucket/prefix`. */
  BLOB_STORE_URL: Type.String({ minLength: 1, default: pathToFileURL('.data/media-files').href }),
  /** Largest video accepted; a larger upload is refused with 413 as soon as it is known. */
  MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 200 * 1024 * 1024 }),
  /** ffprobe, which looks inside every upload: a name on the PATH or a path. */
  FFPROBE_PATH: Type.String({ minLength: 1, default: 'ffprobe' }),
  /** Where an upload is held while ffprobe looks at it (at most MAX_UPLOAD_BYTES per upload). */
  WORK_DIR: Type.String({ minLength: 1, default: tmpdir() }),
  /** A job whose `video.uploaded` the broker did not confirm is published again after this long. */
  REPUBLISH_AFTER_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** How often unconfirmed jobs, stuck jobs and the files of deleted jobs are looked for. */
  SWEEP_EVERY_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /**
   * A job still uploaded or converting this long after it was handed to the converters (or last
   * changed) is failed: its conversion was lost for good. Well above the converters'
   * CONVERSION_TIMEOUT_MS × MAX_ATTEMPTS, plus the longest wait in their queue.
   */
  STUCK_JOB_AFTER_MS: Type.Integer({ minimum: 100, default: 3_600_000 }),
})
export type Config = Static<typeof Config>
