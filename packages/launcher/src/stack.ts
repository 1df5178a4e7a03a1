import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Env } from '@convoy/platform/config'
import { SERVICES, type RunningSystem, type ServiceName } from './system.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface StackOptions {
  /** A PostgreSQL server on which each service gets its own database (created if missing). */
  postgresUrl: string
  amqpUrl: string
  /** Ports of the services; the gateway's is the public one. */
  ports: Record<ServiceName, number>
  /** A database per stateful service, instead of `<service>` databases on `postgresUrl`. */
  databaseUrls?: Partial<Record<ServiceName, string>>
  /** Extra environment for every service, or for one. */
  env?: Env
  serviceEnv?: Partial<Record<ServiceName, Env>>
  /** Where the services' log lines go: inherited by default. */
  stdio?: 'inherit' | 'ignore'
}

/** Databases of the stateful services, each its own, as in every other topology. */
const DATABASES: Partial<Record<ServiceName, string>> = { 'position-tracker': 'position_tracker' }

/**
 * Each service as its own Node process against real PostgreSQL and RabbitMQ, the way they run
 * in containers. Starts them in dependency order, each once the one before answers `/healthz`.
 */
export async function startStack(options: StackOptions): Promise<RunningSystem> {
  const url = (service: ServiceName) => `http://127.0.0.1:${options.ports[service]}`
  const children: Array<{ service: ServiceName; child: ChildProcess }> = []
  /** SIGTERM to each, last started first; a service that does not exit cleanly is an error. */
  const stopAll = async () => {
    const failed: string[] = []
    for (const { service, child } of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
      if (child.exitCode !== 0) failed.push(`${service} (exit ${child.exitCode ?? child.signalCode})`)
    }
    if (failed.length > 0) throw new Error(`not stopped cleanly: ${failed.join(', ')}`)
  }
  try {
    for (const service of SERVICES) {
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...options.env,
        ...options.serviceEnv?.[service],
        PORT: String(options.ports[service]),
        AMQP_URL: options.amqpUrl,
        POSITION_TRACKER_URL: url('position-tracker'),
        WEB_URL: url('web'),
      }
      const database = DATABASES[service]
      if (database)
        env.DATABASE_URL =
          options.databaseUrls?.[service] ?? (await ensureDatabase(options.postgresUrl, database))
      // Each service's package entry point is its main.ts, as in its container image.
      const main = fileURLToPath(import.meta.resolve(`@convoy/${service}`))
      const child = spawn(process.execPath, [main], {
        cwd: ROOT,
        env,
        stdio: ['ignore', options.stdio ?? 'inherit', 'inherit'],
      })
      children.push({ service, child })
      await waitHealthy(url(service), child, service)
    }
    return { url: url('gateway'), close: stopAll }
  } catch (error) {
    await stopAll().catch(() => {})
    throw error
  }
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

async function waitHealthy(base: string, child: ChildProcess, service: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${service} exited with code ${child.exitCode} while starting`)
    try {
      if ((await fetch(`${base}/healthz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${service} did not become healthy within ${timeoutMs} ms`)
}
