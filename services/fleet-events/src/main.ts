import { verifyTokens } from '@convoy/access'
import { loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { startEvaluation } from './evaluation.ts'
import { migrations, type Tables } from './migrations.ts'
import { eventOutbox } from './outbox.ts'
import { fleetRepository } from './repository.ts'
import { startSweep } from './sweep.ts'

export const SERVICE = 'fleet-events'

export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const repository = fleetRepository(database.db)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log, metrics })
  const outbox = eventOutbox({ broker, repository, log, metrics })

  const evaluation = startEvaluation({
    broker,
    repository,
    outbox,
    metrics,
    prefetch: config.PREFETCH,
    batchSize: config.BATCH_SIZE,
    batchWaitMs: config.BATCH_WAIT_MS,
    databaseReady: database.ping,
  })
  const sweep = startSweep({
    repository,
    outbox,
    log,
    everyMs: config.SWEEP_EVERY_MS,
    republishAfterMs: config.REPUBLISH_AFTER_MS,
  })
  const app = buildApp({ service: SERVICE, log, metrics, repository, verifier: tokens.verifier })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      database: database.ping,
      broker: broker.isReady,
      evaluation: evaluation.isReady,
      tokens: tokens.isReady,
    },
    drain: [
      ['evaluation', () => evaluation.close()],
      ['sweep', () => sweep.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['broker', () => broker.close()],
      ['database', () => database.close()],
    ],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
