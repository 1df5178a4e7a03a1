import { existsSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, type Env } from '@convoy/platform/config'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { tiles } from './tiles.ts'

export const SERVICE = 'web'

/** Serves the built browser app (see app.ts) until closed. */
export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const map = tiles(config.TILE_URL, config.TILE_ATTRIBUTION)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  if (!existsSync(path.join(config.WEB_DIST_DIR, 'index.html'))) {
    log.warn({ distDir: config.WEB_DIST_DIR }, 'no built app to serve yet: npm run build -w @convoy/web')
  }
  const metrics = createMetrics(SERVICE)
  const app = buildApp({ service: SERVICE, log, metrics, distDir: config.WEB_DIST_DIR, tiles: map })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: { dist: () => existsSync(path.join(config.WEB_DIST_DIR, 'index.html')) },
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
