import { verifyTokens } from '@convoy/access'
import { openBlobStore } from '@convoy/platform/blobs'
import { loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/metrics'
import {
  claimWorkFolder,
  runUntilSignal,
  serve,
  startPeriodic,
  type RunningService,
} from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { checkMediaTools } from '@convoy/platform/media'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { migrations, type Tables } from './migrations.ts'
import { consumeResults, mediaPipeline } from './pipeline.ts'
import { jobsRepository } from './repository.ts'

export const SERVICE = 'media'

export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  // Uploads wait here while ffprobe looks at them; what uploads cut by a crash left goes now.
  const work = await claimWorkFolder(config.WORK_DIR, SERVICE, log)
  // Without ffprobe every upload is refused: whoever started media is told at once.
  const tools = await checkMediaTools(
    { ffprobe: config.FFPROBE_PATH },
    { log, meanwhile: 'uploads are refused' },
  )
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const repository = jobsRepository(database.db)
  const store = await openBlobStore({ url: config.BLOB_STORE_URL })
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log, metrics })
  const pipeline = mediaPipeline({
    repository,
    store,
    broker,
    log,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    republishAfterMs: config.REPUBLISH_AFTER_MS,
    stuckJobAfterMs: config.STUCK_JOB_AFTER_MS,
    metrics,
  })
  const results = consumeResults(broker, pipeline, database.ping)
  const sweeper = startPeriodic({
    name: 'media sweep',
    everyMs: config.SWEEP_EVERY_MS,
    log,
    task: () => pipeline.sweep(),
  })

  const app = await buildApp({
    service: SERVICE,
    log,
    metrics,
    repository,
    pipeline,
    store,
    verifier: tokens.verifier,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    workDir: work.path,
    ffprobe: config.FFPROBE_PATH,
  })
  const running = await serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      database: database.ping,
      broker: broker.isReady,
      results: results.isReady,
      tokens: tokens.isReady,
      ffmpeg: tools.check,
    },
    drain: [
      ['results', () => results.close()],
      ['sweeper', () => sweeper.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['broker', () => broker.close()],
      ['database', () => database.close()],
      ['work folder', () => work.release()],
    ],
  })
  return { ...running, notice: tools.notice }
}

if (import.meta.main) runUntilSignal(() => start(process.env))
