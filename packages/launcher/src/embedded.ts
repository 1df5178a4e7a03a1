import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { start as startGateway } from '@convoy/gateway'
import type { Env } from '@convoy/platform/config'
import { start as startSimulator } from '@convoy/position-simulator'
import { start as startTracker } from '@convoy/position-tracker'
import { start as startWeb } from '@convoy/web'
import type { RunningSystem } from './system.ts'

export interface EmbeddedOptions {
  /** Where the embedded databases live; it survives restarts. */
  dataDir: string
  /** The gateway's port: 8080 by default, 0 for any free one. */
  port?: number
  host?: string
  /** Extra environment for every service (LOG_LEVEL, SPEEDUP...). */
  env?: Env
}

/**
 * Every service in this one process, on embedded infrastructure: PGlite databases under
 * `dataDir`, the in-process broker, internal services on loopback ports picked by the OS.
 * The same `start` functions as in the stack topology, given other URLs.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<RunningSystem> {
  const base: Env = {
    LOG_LEVEL: 'warn',
    ...options.env,
    AMQP_URL: `memory://convoy-${randomUUID()}`,
    HOST: '127.0.0.1',
    PORT: '0',
  }
  const started: Array<{ close(): Promise<void> }> = []
  const stopAll = async () => {
    for (const service of started.reverse()) await service.close()
  }
  try {
    const tracker = await startTracker({
      ...base,
      DATABASE_URL: `pglite://${path.resolve(options.dataDir, 'position-tracker')}`,
    })
    started.push(tracker)
    const web = await startWeb(base)
    started.push(web)
    const gateway = await startGateway({
      ...base,
      HOST: options.host ?? '127.0.0.1',
      PORT: String(options.port ?? 8080),
      POSITION_TRACKER_URL: tracker.url,
      WEB_URL: web.url,
    })
    started.push(gateway)
    started.push(await startSimulator(base))
    return { url: gateway.url, close: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}
