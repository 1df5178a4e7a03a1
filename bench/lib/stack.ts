/**
 * The stack topology (every service its own process, real PostgreSQL and RabbitMQ) on a
 * throw-away database and vhost, started service by service like the launcher does, so each
 * service's PID is known. fleet-events, media and notification get their own scratch databases, media and the
 * converters a temp folder (blob store, work folders), notification a mail catcher for its SMTP,
 * each made the first time a service needs it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { freePorts, startMailCatcher, type MailCatcher } from '@convoy/platform/testing'
import { SERVICES } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { onCleanup } from './cleanup.ts'
import { serverGroups, type ProcessGroups } from './proc.ts'
import { scratchDatabase, scratchVhost, type Scratch } from './scratch.ts'
import { startService, type RunningService, type ServiceName, type ServiceOptions } from './services.ts'

/** How a service's process runs: its Node options, its memory limit. */
export type RunOptions = Pick<ServiceOptions, 'nodeArgs' | 'memoryLimitMiB'>

export interface BenchStack {
  database: Scratch
  authDatabase: Scratch
  vhost: Scratch
  ports: Record<ServiceName, number>
  services: Partial<Record<ServiceName, RunningService>>
  /** Further processes of a service (a second converter), named `<service> 2`, `<service> 3`… */
  replicas: Map<string, RunningService>
  /** Starts (or restarts, with other settings, Node options or memory limit) one service. */
  start(name: ServiceName, env?: Record<string, string>, run?: RunOptions): Promise<RunningService>
  /** Stops a service (and forgets it). */
  stop(name: ServiceName): Promise<void>
  /** Starts one more process of a service, on a port of its own, beside the running one. */
  startReplica(name: ServiceName, env?: Record<string, string>): Promise<RunningService>
  /** PIDs of the running services and replicas, by name. */
  pids(): Record<string, number>
  /** An access token of the first admin, from the running auth service. */
  token(): Promise<string>
  /** The SMTP server notification sends to (started with notification). */
  mail(): Promise<MailCatcher>
  /** The temp folder of media's blob store and the work folders (made with media or a converter). */
  dataDir(): Promise<string>
}

/** Runs `make` once, the first time the value is asked for. */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  return () => (value ??= make())
}

export async function benchStack(): Promise<BenchStack> {
  const [database, authDatabase, vhost] = await Promise.all([
    scratchDatabase(),
    scratchDatabase(),
    scratchVhost(),
  ])
  const free = await freePorts(SERVICES.length)
  const ports = Object.fromEntries(SERVICES.map((name, i) => [name, free[i]!])) as Record<ServiceName, number>
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`
  const databases: Partial<Record<ServiceName, () => Promise<Scratch>>> = {
    'fleet-events': lazy(scratchDatabase),
    media: lazy(scratchDatabase),
    notification: lazy(scratchDatabase),
  }
  const dataDir = lazy(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-media-'))
    onCleanup('media temp dir', () => rm(dir, { recursive: true, force: true }))
    return dir
  })
  const mail = lazy(async () => {
    const catcher = await startMailCatcher()
    onCleanup('mail catcher', () => catcher.close())
    return catcher
  })

  /** What a service needs beyond the common wiring: its database, folders, SMTP server. */
  async function ownEnv(name: ServiceName): Promise<{ databaseUrl?: string; env: Record<string, string> }> {
    switch (name) {
      case 'auth':
        return { databaseUrl: authDatabase.url, env: { CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD } }
      case 'position-tracker':
        return { databaseUrl: database.url, env: {} }
      case 'fleet-events':
        return { databaseUrl: (await databases['fleet-events']!()).url, env: {} }
      case 'media': {
        const dir = await dataDir()
        return {
          databaseUrl: (await databases.media!()).url,
          env: {
            BLOB_STORE_URL: pathToFileURL(path.join(dir, 'blobs')).href,
            WORK_DIR: path.join(dir, 'media-work'),
          },
        }
      }
      case 'converter':
        return { env: { WORK_DIR: path.join(await dataDir(), 'converter-work') } }
      case 'notification':
        return {
          databaseUrl: (await databases.notification!()).url,
          env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String((await mail()).port) },
        }
      default:
        return { env: {} }
    }
  }

  async function spawnOne(
    name: ServiceName,
    port: number,
    env: Record<string, string>,
    run: RunOptions = {},
  ) {
    const own = await ownEnv(name)
    const [opsPort] = await freePorts(1)
    return startService(name, {
      ...run,
      port,
      opsPort: opsPort!,
      amqpUrl: vhost.url,
      databaseUrl: own.databaseUrl,
      authUrl: url('auth'),
      trackerUrl: url('position-tracker'),
      mediaUrl: url('media'),
      notificationUrl: url('notification'),
      fleetEventsUrl: url('fleet-events'),
      webUrl: url('web'),
      env: { ...own.env, ...env },
    })
  }

  const services: BenchStack['services'] = {}
  const replicas = new Map<string, RunningService>()
  return {
    database,
    authDatabase,
    vhost,
    ports,
    services,
    replicas,
    async start(name, env = {}, run) {
      await services[name]?.stop()
      const service = await spawnOne(name, ports[name], env, run)
      services[name] = service
      return service
    },
    async stop(name) {
      const service = services[name]
      delete services[name]
      await service?.stop()
    },
    async startReplica(name, env = {}) {
      const [port] = await freePorts(1)
      const service = await spawnOne(name, port!, env)
      let n = 2
      while (replicas.has(`${name} ${n}`)) n++
      const key = `${name} ${n}`
      replicas.set(key, {
        ...service,
        stop: async () => {
          replicas.delete(key)
          await service.stop()
        },
      })
      return replicas.get(key)!
    },
    pids: () => ({
      ...Object.fromEntries(Object.values(services).map((s) => [s.name, s.pid])),
      ...Object.fromEntries([...replicas].map(([key, s]) => [key, s.pid])),
    }),
    token: () => login(url('auth'), 'admin', TEST_ADMIN_PASSWORD, '/auth/login'),
    mail,
    dataDir,
  }
}

/**
 * CPU groups for `startCpuMeter`: each running service with its replicas (the converter
 * processes together as `converters`), this process (`bench`), RabbitMQ and PostgreSQL.
 */
export function stackCpuGroups(stack: BenchStack): ProcessGroups {
  const groups: ProcessGroups = { bench: () => [process.pid], ...serverGroups }
  const serviceOf = (name: string) => name.split(' ')[0]!
  for (const service of new Set(Object.keys(stack.pids()).map(serviceOf))) {
    groups[service === 'converter' ? 'converters' : service] = () =>
      Object.entries(stack.pids())
        .filter(([name]) => serviceOf(name) === service)
        .map(([, pid]) => pid)
  }
  return groups
}
