/**
 * Runs Convoy services as their own processes, exactly as the launcher's stack topology does
 * (same entry points, same environment), but keeps each child's PID so benchmarks can read its
 * memory and CPU time. Every service started here is stopped by the cleanup registry.
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { spawnTied } from '@convoy/platform/lifecycle'
import { eventually } from '@convoy/platform/testing'
import type { ServiceName } from '@convoy/system'

export { metricValue } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'
import { memoryCgroup } from './proc.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Builds the web app (about a second), so a benchmark measures the app of the code checked out. */
export function buildWebApp(): void {
  execFileSync('npm', ['run', 'build', '-w', '@convoy/web', '--silent', '--', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  })
}

export type { ServiceName }

export interface RunningService {
  name: ServiceName
  pid: number
  /** Its API (a worker's port is unused). */
  url: string
  /** Its operational endpoints: `/healthz`, `/readyz`, `/metrics`. */
  opsUrl: string
  stop(): Promise<void>
}

export interface ServiceOptions {
  port: number
  opsPort: number
  amqpUrl: string
  /** The service's own database (auth, tracker, fleet-events, media, notification). */
  databaseUrl?: string
  /** Where auth listens: the gateway proxies to it, every verifying service fetches its JWKS. */
  authUrl?: string
  trackerUrl?: string
  /** Where media listens: the gateway proxies to it, converters fetch videos from it. */
  mediaUrl?: string
  notificationUrl?: string
  fleetEventsUrl?: string
  webUrl?: string
  env?: Record<string, string>
  /** Extra Node options for this process (e.g. --cpu-prof, --trace-gc), before its entry point. */
  nodeArgs?: string[]
  /**
   * Run it under this memory limit, as its container is in Kubernetes (a cgroup; Node sizes its
   * heap from it). Ignored, with a warning, where no cgroup can be made.
   */
  memoryLimitMiB?: number
  /** Another checkout of Convoy (with its own node_modules) to run the service from: a baseline. */
  root?: string
}

/**
 * Starts one service and resolves once it answers `/healthz` on its ops port (and `/readyz` when
 * `ready` is set: broker connected, queues declared and consumed, database reachable).
 */
export async function startService(
  name: ServiceName,
  options: ServiceOptions,
  wait: 'healthy' | 'ready' = 'ready',
): Promise<RunningService> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOG_LEVEL: 'warn',
    ...options.env,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    OPS_PORT: String(options.opsPort),
    OPS_HOST: '127.0.0.1',
    AMQP_URL: options.amqpUrl,
    AUTH_URL: options.authUrl,
    AUTH_JWKS_URL: options.authUrl && `${options.authUrl}/auth/.well-known/jwks.json`,
    AUTH_REVOCATIONS_URL: options.authUrl && `${options.authUrl}/internal/revocations`,
    AUTH_ALERT_RECIPIENTS_URL: options.authUrl && `${options.authUrl}/internal/alert-recipients`,
    POSITION_TRACKER_URL: options.trackerUrl,
    MEDIA_URL: options.mediaUrl,
    NOTIFICATION_URL: options.notificationUrl,
    FLEET_EVENTS_URL: options.fleetEventsUrl,
    WEB_URL: options.webUrl,
    DATABASE_URL: options.databaseUrl,
  }
  const main = options.root
    ? `${options.root}/services/${name}/src/main.ts`
    : fileURLToPath(import.meta.resolve(`@convoy/${name}`))
  // Service logs (JSON lines on stdout) go to our stderr, keeping stdout for the results. Tied to
  // this process, as the launcher's services are: a benchmark killed outright leaves none behind.
  const command = [process.execPath, ...(options.nodeArgs ?? []), main]
  const cgroup = options.memoryLimitMiB && memoryCgroup(name, options.memoryLimitMiB)
  if (options.memoryLimitMiB && !cgroup) console.error(`no memory cgroup for ${name}: runs unlimited`)
  // Into its cgroup before Node starts (the same process: the shell execs Node).
  if (cgroup) command.unshift('/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup)
  const child = spawnTied(command[0]!, command.slice(1), {
    deathSignal: 'SIGTERM',
    cwd: options.root ?? ROOT,
    env,
    stdio: ['ignore', 2, 2],
  })
  const stop = () => stopChild(child)
  onCleanup(name, stop)
  const url = `http://127.0.0.1:${options.port}`
  const opsUrl = `http://127.0.0.1:${options.opsPort}`
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`)
      return (await fetch(`${opsUrl}/${wait === 'ready' ? 'readyz' : 'healthz'}`)).ok
    },
    `${name} ${wait}`,
    60_000,
  )
  return { name, pid: child.pid!, url, opsUrl, stop }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
