import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { start as auth } from '@convoy/auth'
import { start as converter } from '@convoy/converter'
import { start as fleetEvents } from '@convoy/fleet-events'
import { start as gateway } from '@convoy/gateway'
import { start as media } from '@convoy/media'
import { start as notification } from '@convoy/notification'
import type { Env } from '@convoy/platform/config'
import type { RunningService } from '@convoy/platform/lifecycle'
import { journaledBrokerUrl } from '@convoy/platform/messaging'
import { inService } from '@convoy/platform/telemetry'
import { start as positionSimulator } from '@convoy/position-simulator'
import { start as positionTracker } from '@convoy/position-tracker'
import { start as web } from '@convoy/web'
import { lockDataDir } from './data-lock.ts'
import { checkPort } from './port-check.ts'
import { publicUrl, SERVICES, wiring, type RunningSystem, type ServiceName } from './system.ts'

export interface EmbeddedOptions {
  /** Where the embedded databases live; it survives restarts. One running system at a time. */
  dataDir: string
  /** The gateway's port: 8080 by default, 0 for any free one. */
  port?: number
  host?: string
  /** Extra environment for every service (LOG_LEVEL, SPEEDUP...). */
  env?: Env
  /**
   * Called at once with each message a service asks to show (the first admin's generated
   * password), before the next service starts: it is not lost if a later one fails to start.
   */
  onNotice?: (notice: string) => void
}

const START: Record<ServiceName, (env: Env) => Promise<RunningService & { opsUrl: string }>> = {
  auth,
  'position-tracker': positionTracker,
  'fleet-events': fleetEvents,
  media,
  converter,
  notification,
  web,
  gateway,
  'position-simulator': positionSimulator,
}

/**
 * Every service in this one process, on embedded infrastructure: PGlite databases, media files,
 * the email outbox, the broker's journal and the work folders under `dataDir`, the in-process
 * broker, internal services on loopback ports picked by the OS.
 * The same `start` functions as in the stack topology, given other URLs.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<RunningSystem> {
  const dataDir = path.resolve(options.dataDir)
  const port = options.port ?? 8080
  const host = options.host ?? '127.0.0.1'
  // A port taken is found before anything is written.
  await checkPort(host, port)
  const unlock = await lockDataDir(dataDir)
  const base: Env = {
    LOG_LEVEL: 'warn',
    // Uploads and conversions under way, beside the data (a crash leaves them to the next start).
    WORK_DIR: path.join(dataDir, 'work'),
    ...options.env,
    // The embedded broker, journaled: what RabbitMQ would keep survives a crash.
    AMQP_URL: journaledBrokerUrl('convoy', path.join(dataDir, 'broker')),
    // Media files on local disk, emails in a local outbox: nothing to install.
    BLOB_STORE_URL: pathToFileURL(path.join(dataDir, 'media-files')).href,
    OUTBOX_DIR: path.join(dataDir, 'outbox'),
  }
  const appUrl = publicUrl(options.env ?? {}, host, port)
  const urls: Partial<Record<ServiceName, string>> = {}
  const ops: Partial<Record<ServiceName, string>> = {}
  const started: RunningService[] = []
  const notices: string[] = []
  const stopAll = async () => {
    try {
      for (const service of started.toReversed()) await service.close()
    } finally {
      await unlock()
    }
  }
  try {
    for (const service of SERVICES) {
      const isGateway = service === 'gateway'
      // In its own context: the spans of its requests and messages say which service they are.
      const running = await inService(service, () =>
        START[service]({
          ...base,
          HOST: isGateway ? host : '127.0.0.1',
          PORT: isGateway ? String(port) : '0',
          OPS_HOST: '127.0.0.1',
          OPS_PORT: '0',
          DATABASE_URL: `pglite://${path.join(dataDir, service)}`,
          ...wiring(service, urls, appUrl),
        }),
      )
      started.push(running)
      if (running.url) urls[service] = running.url
      ops[service] = running.opsUrl
      if (running.notice) {
        notices.push(running.notice)
        options.onNotice?.(running.notice)
      }
    }
    return {
      url: urls.gateway!,
      services: urls,
      ops: ops as Record<ServiceName, string>,
      notices,
      close: stopAll,
    }
  } catch (error) {
    await stopAll().catch(() => {})
    throw error
  }
}
