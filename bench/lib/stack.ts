/**
 * The stack topology (every service its own process, real PostgreSQL and RabbitMQ) on a
 * throw-away database and vhost, started service by service like the launcher does, so each
 * service's PID is known.
 */
import { freePorts, login, TEST_ADMIN_PASSWORD } from '@convoy/platform/testing'
import { scratchDatabase, scratchVhost, type Scratch } from './scratch.ts'
import { startService, type RunningService, type ServiceName } from './services.ts'

export interface BenchStack {
  database: Scratch
  authDatabase: Scratch
  vhost: Scratch
  ports: Record<ServiceName, number>
  services: Partial<Record<ServiceName, RunningService>>
  /** Starts (or restarts, with other settings) one service. */
  start(name: ServiceName, env?: Record<string, string>): Promise<RunningService>
  /** PIDs of the running services, by name. */
  pids(): Record<string, number>
  /** An access token of the first admin, from the running auth service. */
  token(): Promise<string>
}

export async function benchStack(): Promise<BenchStack> {
  const [database, authDatabase, vhost] = await Promise.all([
    scratchDatabase(),
    scratchDatabase(),
    scratchVhost(),
  ])
  const [auth, gateway, tracker, simulator, web] = await freePorts(5)
  const ports = {
    auth: auth!,
    gateway: gateway!,
    'position-tracker': tracker!,
    'position-simulator': simulator!,
    web: web!,
  }
  const services: BenchStack['services'] = {}
  return {
    database,
    authDatabase,
    vhost,
    ports,
    services,
    async start(name, env = {}) {
      await services[name]?.stop()
      const service = await startService(name, {
        port: ports[name],
        amqpUrl: vhost.url,
        databaseUrl:
          name === 'position-tracker' ? database.url : name === 'auth' ? authDatabase.url : undefined,
        authUrl: `http://127.0.0.1:${ports.auth}`,
        trackerUrl: `http://127.0.0.1:${ports['position-tracker']}`,
        webUrl: `http://127.0.0.1:${ports.web}`,
        env: name === 'auth' ? { CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...env } : env,
      })
      services[name] = service
      return service
    },
    pids: () => Object.fromEntries(Object.values(services).map((s) => [s.name, s.pid])),
    token: () => login(`http://127.0.0.1:${ports.auth}`, 'admin', TEST_ADMIN_PASSWORD, '/auth/login'),
  }
}
