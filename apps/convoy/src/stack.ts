import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pg from 'pg'
import type { Env } from '@convoy/platform/config'
import { spawnTied } from '@convoy/platform/lifecycle'
import { checkPort } from './port-check.ts'
import { publicUrl, SERVICES, wiring, type RunningSystem, type ServiceName } from './system.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface StackOptions {
  /** A PostgreSQL server on which each service gets its own database (created if missing). */
  postgresUrl: string
  /**
   * Put before the names of those databases (`auth`…), and of the gateway's counters in
   * `redisUrl`: two stacks can share one server.
   */
  databasePrefix?: string
  amqpUrl: string
  /** Valkey or Redis, where the gateway counts each client's requests; else in its own memory. */
  redisUrl?: string
  /** The gateway's port (0: any free one); the other services take free loopback ports. */
  port: number
  /** The gateway's interface; the other services listen on loopback only. */
  host?: string
  /** A database per stateful service, instead of `<service>` databases on `postgresUrl`. */
  databaseUrls?: Partial<Record<ServiceName, string>>
  /** Extra environment for every service, or for one. */
  env?: Env
  serviceEnv?: Partial<Record<ServiceName, Env>>
  /** Where the services' log lines go: inherited by default, or a file descriptor open for writing. */
  stdio?: ServiceStdio
  /** Called if a service exits while the system runs (the launcher then stops the rest). */
  onExit?: (service: ServiceName, code: number | null) => void
  /** Called at once with each message a service asks to show (see `EmbeddedOptions.onNotice`). */
  onNotice?: (notice: string) => void
  /** Services not to start: the caller runs them itself (a test that kills and restarts one). */
  skip?: ServiceName[]
}

/** Where a service's stdout and stderr go. */
export type ServiceStdio = 'inherit' | 'ignore' | number

/** A running stack: a process per service. */
export interface StackSystem extends RunningSystem {
  /** The process of each service (a test that kills them finds them here). */
  pids: Partial<Record<ServiceName, number>>
}

/** Databases of the stateful services, each its own, as in every other topology. */
const DATABASES: Partial<Record<ServiceName, string>> = {
  auth: 'auth',
  'position-tracker': 'position_tracker',
  'fleet-events': 'fleet_events',
  media: 'media',
  notification: 'notification',
}

/**
 * Each service as its own Node process against real PostgreSQL and RabbitMQ, the way they run
 * in containers. Starts them in dependency order, each once the one before reports that it
 * listens (over an IPC channel, so a port held by another process cannot fool it); `close`
 * stops them in the reverse order. Each runs in a process group of its own, so a terminal's
 * Ctrl-C reaches the launcher alone, which then stops them in that order; and each gets SIGTERM
 * if the launcher dies (see `spawnService`).
 */
export async function startStack(options: StackOptions): Promise<StackSystem> {
  const host = options.host ?? '127.0.0.1'
  // A port taken is found before a database is created or a service started.
  await checkPort(host, options.port)
  const appUrl = publicUrl({ ...process.env, ...options.env }, host, options.port)
  const urls: Partial<Record<ServiceName, string>> = {}
  const ops: Partial<Record<ServiceName, string>> = {}
  const children: Array<{ service: ServiceName; child: ChildProcess }> = []
  const notices: string[] = []
  let stopping = false
  const counters = {
    RATE_LIMIT_REDIS_URL: options.redisUrl,
    RATE_LIMIT_PREFIX: `${options.databasePrefix ?? ''}convoy-rate:`,
  }

  /** SIGTERM to each, last started first; a service that does not exit cleanly is an error. */
  const stopAll = async () => {
    stopping = true
    const failed: string[] = []
    for (const { service, child } of children.toReversed()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
      if (child.exitCode !== 0) failed.push(`${service} (exit ${child.exitCode ?? child.signalCode})`)
    }
    if (failed.length > 0) throw new Error(`not stopped cleanly: ${failed.join(', ')}`)
  }

  try {
    for (const service of SERVICES.filter((name) => !options.skip?.includes(name))) {
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...(service === 'gateway' ? counters : {}),
        ...options.env,
        ...options.serviceEnv?.[service],
        PORT: service === 'gateway' ? String(options.port) : '0',
        HOST: service === 'gateway' ? host : '127.0.0.1',
        OPS_PORT: '0',
        OPS_HOST: '127.0.0.1',
        AMQP_URL: options.amqpUrl,
        ...wiring(service, urls, appUrl),
      }
      // Media files beside the embedded topology's, not among them.
      if (service === 'media') env.BLOB_STORE_URL ??= pathToFileURL(`${ROOT}.data/stack/media`).href
      const database = DATABASES[service]
      if (database)
        env.DATABASE_URL =
          options.databaseUrls?.[service] ??
          (await ensureDatabase(options.postgresUrl, `${options.databasePrefix ?? ''}${database}`))
      const child = spawnService(service, env, options.stdio)
      children.push({ service, child })
      const { url, opsUrl, notice } = await started(child, service)
      if (url) urls[service] = url
      ops[service] = opsUrl
      if (notice) {
        notices.push(notice)
        options.onNotice?.(notice)
      }
      child.on('exit', (code) => {
        if (!stopping) options.onExit?.(service, code)
      })
    }
    return {
      url: urls.gateway!,
      services: urls,
      ops: ops as Record<ServiceName, string>,
      notices,
      pids: Object.fromEntries(children.map(({ service, child }) => [service, child.pid])),
      close: stopAll,
    }
  } catch (error) {
    await stopAll().catch(() => {})
    throw error
  }
}

/**
 * OpenTelemetry's bootstrap, loaded before each service as in its image: it starts the SDK when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and loads nothing more otherwise.
 */
const TELEMETRY = fileURLToPath(import.meta.resolve('@convoy/platform/telemetry/register'))

/**
 * Starts one service as its own Node process with `env`, as the stack does, with OpenTelemetry
 * loaded first (traced when `env` sets `OTEL_EXPORTER_OTLP_ENDPOINT`); `started` resolves
 * once it listens. The process leads a process group of its own (a Ctrl-C meant for the caller
 * does not reach it: the caller stops it), and gets SIGTERM when the caller dies, however it dies
 * (`spawnTied`): it never outlives the caller.
 *
 * @example
 * const converter = spawnService('converter', { ...process.env, OPS_PORT: '0', AMQP_URL, MEDIA_URL })
 * const { url } = await started(converter, 'converter')
 */
export function spawnService(
  service: ServiceName,
  env: Record<string, string | undefined>,
  stdio: ServiceStdio = 'inherit',
): ChildProcess {
  // Each service's package entry point is its main.ts, as in its container image.
  const main = fileURLToPath(import.meta.resolve(`@convoy/${service}`))
  return spawnTied(process.execPath, ['--import', TELEMETRY, main], {
    deathSignal: 'SIGTERM',
    detached: true,
    cwd: ROOT,
    env,
    stdio: ['ignore', stdio, stdio, 'ipc'],
  })
}

/**
 * Resolves with the URLs (and notice) a child reports once it listens: its API's (none for a
 * worker) and its operational endpoints'. Rejects if it exits first.
 */
export function started(
  child: ChildProcess,
  service: string,
  timeoutMs = 60_000,
): Promise<{ url?: string; opsUrl: string; notice?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${service} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    )
    child.on('message', (message: { type?: string; url?: string; opsUrl?: string; notice?: string }) => {
      if (message.type !== 'started' || !message.opsUrl) return
      clearTimeout(timer)
      resolve({ url: message.url, opsUrl: message.opsUrl, notice: message.notice })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${service} exited with code ${code} while starting`))
    })
  })
}

async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}
