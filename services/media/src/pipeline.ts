import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { randomBytes, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import {
  conversionFailed,
  mediaFailed,
  mediaReady,
  mediaUpdated,
  mp3Converted,
  videoUploaded,
  type ConversionFailed,
  type Media,
  type MediaEvent,
  type Mp3Converted,
  type VideoUploaded,
} from '@convoy/contracts'
import type { BlobStore } from '@convoy/platform/blobs'
import type { Logger } from '@convoy/platform/log'
import type { Broker } from '@convoy/platform/messaging'
import { secondsSince } from '@convoy/platform/metrics'
import type { Job, JobsRepository, Owner } from './repository.ts'
import type { ReceivedFile } from './upload.ts'

export const videoKey = (id: string) => `videos/${id}`
export const mp3Key = (id: string) => `mp3/${id}`

/** How long an upload's first publish may take before it is left to the sweeper. */
const PUBLISH_WAIT_MS = 5_000
/**
 * A blob store's temporary file nobody has written to for this long was left by a put that a
 * crash cut short. Every replica shares the store, and a put under way writes all the time (a copy
 * from local disk, or an MP3 streamed in); an hour is far beyond any pause of a live one.
 */
const INCOMPLETE_BLOB_AFTER_MS = 3_600_000
/** They are looked for on the first sweep and then this often: it lists the whole store. */
const INCOMPLETE_BLOB_SWEEP_EVERY_MS = 10 * 60_000

export interface PipelineOptions {
  repository: JobsRepository
  store: BlobStore
  broker: Broker
  log: Logger
  maxUploadBytes: number
  /** A job whose `video.uploaded` the broker has not confirmed is published again after this. */
  republishAfterMs: number
  /** A job handed to the converters this long ago without a result is failed. */
  stuckJobAfterMs: number
  /** Where the pipeline's metrics go (the service's registry). */
  metrics: Registry
}

/**
 * The media side of the pipeline: a received upload becomes a stored video, a job and a
 * `video.uploaded` message; the converter's answers become `ready`/`failed` jobs and the
 * `media.ready`/`media.failed` events; deleted jobs lose their files.
 */
export function mediaPipeline(options: PipelineOptions) {
  const { repository, store, broker, log, maxUploadBytes } = options
  let incompleteBlobsSweptAt = -Infinity
  const uploadBytes = new Counter({
    name: 'media_upload_bytes_total',
    help: 'Bytes of the videos accepted as jobs',
    registers: [options.metrics],
  })
  // A job's whole way, as its owner waits for it: from the upload accepted to the MP3 ready (or the
  // job failed), through the broker, the converter and back.
  const jobSeconds = new Histogram({
    name: 'media_job_duration_seconds',
    help: 'Seconds from an upload accepted to its job ready or failed, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
    registers: [options.metrics],
  })
  for (const outcome of ['ready', 'failed'] as const) jobSeconds.zero({ outcome })
  // The jobs under way, read from the database as Prometheus scrapes: every replica shows the
  // same numbers (aggregate them with max, not sum). Ended jobs are counted by media_job_duration_seconds.
  new Gauge({
    name: 'media_jobs',
    help: 'Live jobs not ended yet, by state: uploaded (waiting for a converter) or converting',
    labelNames: ['state'] as const,
    registers: [options.metrics],
    async collect() {
      try {
        const counts = await repository.unfinishedByStatus()
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count)
      } catch (error) {
        // A scrape must not fail with the database: the series are left out until it answers.
        this.reset()
        log.warn({ err: error }, 'media jobs not counted for /metrics')
      }
    },
  })
  const ended = (job: Job, outcome: 'ready' | 'failed') =>
    jobSeconds.observe({ outcome }, secondsSince(job.media.createdAt))
  /** Tells the owner's live feed (and notification, for the last two) about a job. */
  async function announce(topic: typeof mediaUpdated | typeof mediaReady | typeof mediaFailed, job: Job) {
    const event: MediaEvent = {
      version: 2,
      ownerId: job.owner.id,
      ownerName: job.owner.name,
      media: job.media,
    }
    const messageId = `${topic.routingKey}:${job.media.id}:${job.media.updatedAt}`
    await broker.publish(topic, event, { messageId })
  }

  /** A status change only the live feed cares about: losing it loses nothing durable. */
  function announceLater(job: Job) {
    announce(mediaUpdated, job).catch((error: unknown) =>
      log.warn({ err: error, id: job.media.id }, 'media update not announced'),
    )
  }

  async function publishUploaded(job: Job) {
    const message: VideoUploaded = {
      version: 2,
      id: job.media.id,
      ownerId: job.owner.id,
      filename: job.media.filename,
      size: job.media.size,
      token: job.token,
    }
    await broker.publish(videoUploaded, message, {
      messageId: `${videoUploaded.routingKey}:${job.media.id}`,
    })
    await repository.markPublished(job.media.id)
  }

  return {
    /** Stores a probed upload as a new job of `owner`; the job is durable before this resolves. */
    async accept(file: ReceivedFile, owner: Owner): Promise<Media> {
      const id = randomUUID()
      // 1 MiB reads: the default 64 KiB doubles the copy's time for a large video (benchmarks §6).
      const video = createReadStream(file.path, { highWaterMark: 1024 * 1024 })
      await store.put(videoKey(id), video, { maxBytes: maxUploadBytes })
      const job = await repository.create({
        id,
        owner,
        filename: file.filename,
        size: file.size,
        token: randomBytes(32).toString('base64url'),
      })
      uploadBytes.inc(file.size)
      // The job is safe in the database; if the broker is slow or down, the sweeper publishes it.
      const published = publishUploaded(job).then(
        () => true,
        (error: unknown) => {
          log.warn({ err: error, id }, 'video.uploaded not confirmed yet, the sweeper will publish it')
          return false
        },
      )
      await Promise.race([published, new Promise((resolve) => setTimeout(resolve, PUBLISH_WAIT_MS).unref())])
      announceLater(job)
      return job.media
    },

    /** The converter fetched the video: the job is converting. */
    async started(id: string) {
      const job = await repository.converting(id)
      if (job) announceLater(job)
    },

    async converted(message: Mp3Converted) {
      const settled = await repository.ready(message.id)
      // Deleted while converting (or never ours): the MP3 must not outlive its job.
      if (!settled) return void (await store.delete(mp3Key(message.id)))
      if (!settled.redelivered) ended(settled.job, 'ready')
      await announce(mediaReady, settled.job)
    },

    async failed(message: ConversionFailed) {
      const settled = await repository.failed(message.id, message.reason)
      if (!settled) return
      if (!settled.redelivered) ended(settled.job, 'failed')
      await announce(mediaFailed, settled.job)
    },

    /** Hides the owner's job at once and removes its files; false when it is not theirs. */
    async remove(id: string, ownerId: string): Promise<boolean> {
      if (!(await repository.markDeleted(id, ownerId))) return false
      await purge(id).catch((error: unknown) =>
        log.warn({ err: error, id }, 'files of a deleted job not removed yet, the sweeper will retry'),
      )
      return true
    },

    /**
     * Publishes what the broker never confirmed; fails the jobs whose conversion was lost; removes
     * what deleted jobs, and puts a crash cut short, left behind.
     */
    async sweep() {
      for (const job of await repository.unpublished(options.republishAfterMs)) {
        await publishUploaded(job)
        log.info({ id: job.media.id }, 'video.uploaded published by the sweeper')
      }
      for (const job of await repository.stuck(options.stuckJobAfterMs)) await failStuck(job)
      for (const id of await repository.deleted()) await purge(id)
      if (performance.now() - incompleteBlobsSweptAt >= INCOMPLETE_BLOB_SWEEP_EVERY_MS) {
        const removed = await store.removeIncomplete(INCOMPLETE_BLOB_AFTER_MS)
        incompleteBlobsSweptAt = performance.now()
        if (removed > 0) log.info({ removed }, 'files of puts cut short by a crash removed')
      }
    },
  }

  /**
   * A job handed to the converters long ago and never finished (a result dead-lettered, a message
   * that crashed its converter each time): it ends `failed` through the same path as the
   * converter's own `conversion.failed` (same message id), so its owner is told, and a result
   * that still comes later cannot make it ready.
   */
  async function failStuck(job: Job) {
    const message: ConversionFailed = {
      version: 1,
      id: job.media.id,
      reason: `the conversion did not finish within ${duration(options.stuckJobAfterMs)}; upload the video again`,
    }
    await broker.publish(conversionFailed, message, {
      messageId: `${conversionFailed.routingKey}:${job.media.id}`,
    })
    log.warn({ id: job.media.id, status: job.media.status, reason: message.reason }, 'stuck job failed')
  }

  async function purge(id: string) {
    await store.delete(videoKey(id))
    await store.delete(mp3Key(id))
    await repository.purge(id)
  }
}

export type MediaPipeline = ReturnType<typeof mediaPipeline>

/** The converter's answers, consumed by media: `media.results`. */
export function consumeResults(
  broker: Broker,
  pipeline: MediaPipeline,
  dependenciesReady: () => Promise<boolean>,
) {
  return broker.consume({
    queue: 'media.results',
    topics: [mp3Converted, conversionFailed],
    prefetch: 16,
    dependenciesReady,
    handler: async ({ body }) => {
      if ('reason' in body) await pipeline.failed(body)
      else await pipeline.converted(body)
    },
  })
}

/** `1 hour`, `90 minutes`, `45 s`: a time limit as its reader wants it. */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? '1 hour' : `${ms / 3_600_000} hours`
  if (ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`
  return `${Number((ms / 1000).toFixed(3))} s`
}
