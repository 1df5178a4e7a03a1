import { constants } from 'node:fs'
import { access, mkdir } from 'node:fs/promises'
import { MEDIA_EXCHANGE, VIDEO_UPLOADED, VideoUploaded, VideoUploadedV1 } from '@convoy/contracts'
import { loadConfig, Type, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/http'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { Config } from './config.ts'
import { videoConverter } from './convert.ts'
import { mediaClient } from './media-client.ts'
import { conversionMetrics } from './metrics.ts'

export const SERVICE = 'converter'
/** Shared by every converter process: each job goes to one of them (competing consumers). */
export const VIDEOS_QUEUE = 'converter.videos'

export async function start(env: Env): Promise<RunningService & { opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  // A work folder that cannot be written would fail every job: refuse to start instead.
  await mkdir(config.WORK_DIR, { recursive: true })
  await access(config.WORK_DIR, constants.W_OK)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })

  const videos = broker.consume({
    queue: VIDEOS_QUEUE,
    exchange: MEDIA_EXCHANGE,
    routingKeys: [VIDEO_UPLOADED],
    // Version 1 (owner by username) is still accepted: the owner is not the converter's business.
    schema: Type.Union([VideoUploaded, VideoUploadedV1]),
    prefetch: config.CONCURRENCY,
    maxAttempts: config.MAX_ATTEMPTS,
    retryDelayMs: config.RETRY_DELAY_MS,
    handler: videoConverter({
      media: mediaClient({ baseUrl: config.MEDIA_URL }),
      broker,
      log,
      metrics: conversionMetrics(metrics),
      workDir: config.WORK_DIR,
      timeoutMs: config.CONVERSION_TIMEOUT_MS,
      maxAttempts: config.MAX_ATTEMPTS,
    }),
  })
  // Closing lets the conversions in flight finish; one cut short by a kill was never acked, so
  // the broker hands its job to another converter.
  return serve({
    log,
    listen: config,
    metrics,
    readiness: { broker: broker.isReady, videos: videos.isReady },
    drain: [['videos', () => videos.close()]],
    release: [['broker', () => broker.close()]],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
