import { verifyTokens } from '@convoy/access'
import { loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { startIngest } from './ingest.ts'
import { migrations, type Tables } from './migrations.ts'
import { positionsRepository } from './repository.ts'
import { startRetention } from './retention.ts'

export const SERVICE = 'position-tracker'

export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const repository = positionsRepository(database.db)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log, metrics })

  const ingest = startIngest({
    broker,
    repository,
    log,
    metrics,
    prefetch: config.PREFETCH,
    batchSize: config.BATCH_SIZE,
    batchWaitMs: config.BATCH_WAIT_MS,
    flushConcurrency: config.FLUSH_CONCURRENCY,
    databaseReady: database.ping,
  })
  const app = buildApp({
    service: SERVICE,
    log,
    metrics,
    repository,
    verifier: tokens.verifier,
    history: { concurrency: config.HISTORY_CONCURRENCY, queue: config.HISTORY_QUEUE },
  })
  const retention = startRetention({
    repository,
    log,
    days: config.RETENTION_DAYS,
    sweepSeconds: config.RETENTION_SWEEP_SECONDS,
  })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      database: database.ping,
      broker: broker.isReady,
      ingest: ingest.isReady,
      tokens: tokens.isReady,
    },
    drain: [
      ['ingest', () => ingest.close()],
      ['retention', () => retention.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['broker', () => broker.close()],
      ['database', () => database.close()],
    ],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
