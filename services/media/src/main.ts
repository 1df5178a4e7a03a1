import { mkdir } from 'node:fs/promises'
import { verifyTokens } from '@convoy/platform/auth'
import { openBlobStore } from '@convoy/platform/blobs'
import { loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/http'
import { runUntilSignal, serve, startPeriodic, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
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
  await mkdir(config.WORK_DIR, { recursive: true })
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const repository = jobsRepository(database.db)
  const store = openBlobStore({ url: config.BLOB_STORE_URL })
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log })
  const pipeline = mediaPipeline({ repository, store, broker, log, maxUploadBytes: config.MAX_UPLOAD_BYTES })
  const results = consumeResults(broker, pipeline, database.ping)
  const sweeper = startPeriodic({
    name: 'media sweep',
    everyMs: config.SWEEP_EVERY_MS,
    log,
    task: () => pipeline.sweep(config.REPUBLISH_AFTER_MS),
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
    workDir: config.WORK_DIR,
  })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      database: database.ping,
      broker: broker.isReady,
      results: results.isReady,
      tokens: tokens.isReady,
    },
    drain: [
      ['results', () => results.close()],
      ['sweeper', () => sweeper.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['broker', () => broker.close()],
      ['database', () => database.close()],
    ],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
