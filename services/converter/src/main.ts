import { videoUploaded } from '@convoy/contracts'
import { loadConfig, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/metrics'
import { claimWorkFolder, runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { checkMediaTools } from '@convoy/platform/media'
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
  // A work folder that cannot be written would fail every job: refuse to start instead. Claiming
  // it also removes what converters killed mid-conversion left in WORK_DIR.
  const work = await claimWorkFolder(config.WORK_DIR, SERVICE, log)
  // Without ffmpeg no video converts: whoever started the converter is told at once, and jobs
  // wait in the queue (not failed) until it runs.
  const paths = { ffmpeg: config.FFMPEG_PATH, ffprobe: config.FFPROBE_PATH }
  const tools = await checkMediaTools(paths, { log, meanwhile: 'videos cannot be converted' })
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })

  const videos = broker.consume({
    queue: VIDEOS_QUEUE,
    // Version 1 (owner by username) is accepted too: the owner is not the converter's business.
    topics: [videoUploaded],
    prefetch: config.CONCURRENCY,
    maxAttempts: config.MAX_ATTEMPTS,
    retryDelayMs: config.RETRY_DELAY_MS,
    dependenciesReady: async () => (await tools.check()) === true,
    handler: videoConverter({
      media: mediaClient({ baseUrl: config.MEDIA_URL }),
      broker,
      log,
      metrics: conversionMetrics(metrics),
      workDir: work.path,
      tools: paths,
      timeoutMs: config.CONVERSION_TIMEOUT_MS,
      maxAttempts: config.MAX_ATTEMPTS,
    }),
  })
  // Closing lets the conversions in flight finish; one cut short by a kill was never acked, so
  // the broker hands its job to another converter.
  const running = await serve({
    log,
    listen: config,
    metrics,
    readiness: { broker: broker.isReady, videos: videos.isReady, ffmpeg: tools.check },
    drain: [['videos', () => videos.close()]],
    release: [
      ['broker', () => broker.close()],
      ['work folder', () => work.release()],
    ],
  })
  return { ...running, notice: tools.notice }
}

if (import.meta.main) runUntilSignal(() => start(process.env))
