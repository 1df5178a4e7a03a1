import { mkdtemp, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import {
  conversionFailed,
  mp3Converted,
  type ConversionFailed,
  type Mp3Converted,
  type VideoUploaded,
  type VideoUploadedV1,
} from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'
import { ConversionFailedError, ConversionTimeoutError, extractMp3, run } from '@convoy/platform/media'
import type { Broker, Delivery } from '@convoy/platform/messaging'
import { MediaRefusedError, MediaUnavailableError, type MediaClient } from './media-client.ts'
import type { ConversionMetrics } from './metrics.ts'

export interface ConverterOptions {
  media: MediaClient
  broker: Pick<Broker, 'publish'>
  log: Logger
  metrics: ConversionMetrics
  /** Each job gets a fresh folder under this one, removed when the attempt ends. */
  workDir: string
  /** ffmpeg and ffprobe, when they are not on the PATH under those names. */
  tools?: { ffmpeg: string; ffprobe: string }
  timeoutMs: number
  /** The attempt from which a passing failure fails the job instead of being retried. */
  maxAttempts: number
}

const MAX_REASON = 500

/**
 * The handler of `video.uploaded`: fetches the video from media, extracts its audio, hands the
 * MP3 back, then publishes `mp3.converted`. A job that can never succeed (not a video, no sound,
 * token refused) or whose last attempt failed ends with `conversion.failed`; any other failure is
 * thrown for the broker to retry with backoff. A job deleted or ended meanwhile ends quietly. Results
 * carry deterministic message ids, so a retried or redelivered job announces the same message.
 */
export function videoConverter(options: ConverterOptions) {
  const { media, broker, log, metrics } = options

  async function convert(job: VideoUploaded | VideoUploadedV1, dir: string): Promise<Mp3Converted | null> {
    const video = path.join(dir, 'video')
    const mp3 = path.join(dir, 'audio.mp3')
    if (!(await media.downloadVideo(job.id, job.token, video))) return null
    await extractMp3(video, mp3, { timeoutMs: options.timeoutMs, ...options.tools })
    const { size } = await stat(mp3)
    const durationSeconds = await audioSeconds(mp3, options.tools?.ffprobe)
    if (!(await media.uploadMp3(job.id, job.token, mp3))) return null
    return { version: 1, id: job.id, size, ...(durationSeconds === undefined ? {} : { durationSeconds }) }
  }

  /** Runs `work` in a fresh folder of its own, removed however it ends. */
  async function inWorkFolder<T>(id: string, work: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(path.join(options.workDir, 'job-'))
    try {
      return await work(dir)
    } finally {
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
        log.warn({ id, err: error }, 'work folder not removed'),
      )
    }
  }

  return async function handle({
    body: job,
    attempt,
  }: Delivery<VideoUploaded | VideoUploadedV1>): Promise<void> {
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    const fields = () => ({ id: job.id, attempt, durationMs: Math.round(seconds() * 1000) })
    let converted: Mp3Converted | null
    try {
      converted = await inWorkFolder(job.id, (dir) => convert(job, dir))
    } catch (error) {
      const reason =
        permanentReason(error) ?? (attempt >= options.maxAttempts ? lastReason(error, attempt) : null)
      if (reason === null) {
        log.warn({ ...fields(), reason: errorText(error) }, 'conversion attempt failed')
        throw error
      }
      const failed: ConversionFailed = {
        version: 1,
        id: job.id,
        reason: [...reason].slice(0, MAX_REASON).join(''),
      }
      await broker.publish(conversionFailed, failed, {
        messageId: `conversion.failed:${job.id}`,
      })
      metrics.record('failed', seconds())
      log.warn({ ...fields(), reason: failed.reason, error: errorText(error) }, 'conversion failed')
      return
    }
    if (!converted) {
      log.info(fields(), 'job deleted or ended before its conversion did')
      return
    }
    // A failure to publish is thrown: retried, and after the last attempt dead-lettered by the
    // platform, since a conversion.failed would meet the same broker.
    await broker.publish(mp3Converted, converted, { messageId: `mp3.converted:${job.id}` })
    metrics.record('converted', seconds())
    log.info({ ...fields(), size: converted.size }, 'video converted')
  }
}

/** Why a job can never succeed, or null when another attempt might. */
function permanentReason(error: unknown): string | null {
  if (error instanceof ConversionFailedError) return error.reason.trim() || 'the video could not be converted'
  if (error instanceof MediaRefusedError) return error.message
  return null
}

/** Why a job failed on its last attempt, for its owner to read (the log has the details). */
function lastReason(error: unknown, attempts: number): string {
  if (error instanceof ConversionTimeoutError)
    return `conversion took longer than ${inSeconds(error.timeoutMs)}`
  const cause = error instanceof MediaUnavailableError ? 'media service unavailable' : 'an unexpected error'
  return `could not be converted after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause}`
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))
const inSeconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`

/** Seconds of audio in an MP3 this converter made, or undefined when ffprobe cannot tell. */
async function audioSeconds(file: string, ffprobe = 'ffprobe'): Promise<number | undefined> {
  const args = ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]
  const result = await run(ffprobe, args, { timeoutMs: 30_000 }).catch(() => null)
  const text = result?.code === 0 ? result.stdout.trim() : ''
  const duration = Number(text)
  return text && Number.isFinite(duration) && duration >= 0 ? duration : undefined
}
