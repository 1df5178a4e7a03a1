import { loadConfig, type Env } from '@convoy/platform/config'
import { closeInOrder, runUntilSignal, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { buildApp } from './app.ts'
import { Config } from './config.ts'

export const SERVICE = 'web'

/** Serves the built browser app (see app.ts) until closed. */
export async function start(env: Env): Promise<RunningService & { url: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const app = buildApp({ service: SERVICE, log, distDir: config.WEB_DIST_DIR })
  const url = await app.listen({ port: config.PORT, host: config.HOST })
  const ready = await app.inject('/readyz')
  if (ready.statusCode !== 200) log.warn({ distDir: config.WEB_DIST_DIR }, 'no built app to serve yet')
  log.info({ url, distDir: config.WEB_DIST_DIR }, 'web listening')

  return {
    log,
    url,
    close: () =>
      closeInOrder(log, [
        ['readiness', () => app.markShuttingDown()],
        ['http', () => app.close()],
      ]),
  }
}

if (import.meta.main) runUntilSignal(() => start(process.env))
