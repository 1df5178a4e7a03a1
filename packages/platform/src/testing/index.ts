import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import pg from 'pg'
import { Connection } from 'rabbitmq-client'
import { createLogger, type Logger } from '../log/index.ts'
import { journaledBrokerUrl } from '../messaging/index.ts'
import { drainEmbeddedQueue } from '../messaging/embedded-broker.ts'

export { tcpProxy, type TcpProxy } from './tcp-proxy.ts'
export { makeTestVideo, type TestVideoOptions } from './videos.ts'

const run = promisify(execFile)

/** The real servers the tests use; the defaults are this machine's. */
export const TEST_POSTGRES_URL =
  process.env.CONVOY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_AMQP_HOST = process.env.CONVOY_TEST_AMQP_HOST ?? '127.0.0.1:5672'
/** Valkey or Redis: the gateway's shared rate-limit counters (each test its own key prefix). */
export const TEST_REDIS_URL = process.env.CONVOY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * The unit loop (`npm run test:unit`): embedded infrastructure alone. A test database is a PGlite
 * one there, a test vhost an embedded broker, and a test written for every kind of database or
 * broker (or blob store) runs on the embedded kinds only: no server, not even a stand-in.
 */
export const EMBEDDED_ONLY = process.env.CONVOY_TEST_INFRA === 'embedded'

/** A logger for tests: silent unless TEST_LOG_LEVEL says otherwise. */
export function testLogger(service = 'test'): Logger {
  return createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? 'silent' })
}

export const uniqueName = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`

/** A fresh database on the test PostgreSQL server (a PGlite one in the unit loop); `drop` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (EMBEDDED_ONLY) return createEmbeddedDatabase()
  const name = uniqueName('convoy_test')
  await adminQuery(`CREATE DATABASE ${name}`)
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  }
}

async function adminQuery(statement: string) {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * A fresh RabbitMQ virtual host (made with `rabbitmqctl`, which needs no management plugin),
 * so a test's exchanges and queues never meet another run's (an embedded broker in the unit loop);
 * `drop` deletes it.
 */
export async function createTestVhost(): Promise<{ url: string; drop(): Promise<void> }> {
  if (EMBEDDED_ONLY) return { url: `embedded://${uniqueName('test')}`, drop: async () => {} }
  const vhost = uniqueName('convoy-test')
  await run('rabbitmqctl', ['-q', 'add_vhost', vhost])
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'])
  return {
    url: `amqp://guest:guest@${TEST_AMQP_HOST}/${vhost}`,
    drop: async () => void (await run('rabbitmqctl', ['-q', 'delete_vhost', vhost])),
  }
}

/** Messages of a queue of a test vhost: waiting (ready) and delivered but not yet acknowledged. */
export async function queueCounts(
  vhostUrl: string,
  queue: string,
): Promise<{ ready: number; unacked: number }> {
  const vhost = decodeURIComponent(new URL(vhostUrl).pathname.slice(1))
  const { stdout } = await run('rabbitmqctl', [
    '-q',
    'list_queues',
    '-p',
    vhost,
    'name',
    'messages_ready',
    'messages_unacknowledged',
    '--no-table-headers',
  ])
  for (const line of stdout.split('\n')) {
    const [name, ready, unacked] = line.trim().split(/\s+/)
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked) }
  }
  return { ready: 0, unacked: 0 }
}

/**
 * Value of a counter (summed over its label sets) on a service's `/metrics`, at its ops URL; with
 * `label` (e.g. `route="/vehicles"`), only over the label sets that carry it.
 */
export async function metricValue(opsUrl: string, name: string, label?: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text()
  let total = 0
  for (const line of text.split('\n')) {
    const named = line.startsWith(`${name}{`) || line.startsWith(`${name} `)
    if (named && (!label || line.includes(label))) total += Number(line.split(' ').pop())
  }
  return total
}

/** Takes every message waiting in a queue (e.g. `<queue>.dead`) of either kind of broker. */
export async function drainQueue(
  brokerUrl: string,
  queue: string,
): Promise<Array<{ body: string; headers: Record<string, unknown> }>> {
  if (brokerUrl.startsWith('embedded:')) {
    return drainEmbeddedQueue(brokerUrl, queue).map((m) => ({ body: m.content, headers: m.headers }))
  }
  const connection = new Connection(brokerUrl)
  const channel = await connection.acquire()
  const messages: Array<{ body: string; headers: Record<string, unknown> }> = []
  try {
    for (;;) {
      const message = await channel.basicGet({ queue, noAck: true })
      if (!message) break
      const body: unknown = message.body
      messages.push({
        body: typeof body === 'string' || Buffer.isBuffer(body) ? body.toString() : JSON.stringify(body),
        headers: message.headers ?? {},
      })
    }
  } finally {
    await channel.close()
    await connection.close()
  }
  return messages
}

/** Both kinds of broker, for contract tests that must hold on each (the embedded ones in the unit loop). */
export const brokerTargets: Array<{
  kind: string
  create(): Promise<{ url: string; drop(): Promise<void> }>
}> = [
  {
    kind: 'embedded',
    create: async () => ({ url: `embedded://${uniqueName('test')}`, drop: async () => {} }),
  },
  {
    kind: 'embedded with a journal',
    create: async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'convoy-journal-'))
      return {
        url: journaledBrokerUrl(uniqueName('test'), dir),
        drop: () => rm(dir, { recursive: true, force: true }),
      }
    },
  },
  { kind: 'rabbitmq', create: createTestVhost },
].filter((target) => !EMBEDDED_ONLY || target.kind !== 'rabbitmq')

/** A fresh PGlite database in a temporary folder, removed by `drop`. */
async function createEmbeddedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-pglite-'))
  return { url: `pglite://${dir}`, drop: () => rm(dir, { recursive: true, force: true }) }
}

/** Both kinds of database, for contract tests that must hold on each (PGlite alone in the unit loop). */
export const databaseTargets: Array<{
  kind: string
  create(): Promise<{ url: string; drop(): Promise<void> }>
}> = [
  { kind: 'pglite', create: createEmbeddedDatabase },
  { kind: 'postgres', create: createTestDatabase },
].filter((target) => !EMBEDDED_ONLY || target.kind !== 'postgres')

/**
 * The migrations up to and including `last`, by name: a database as it stood before the later
 * ones, for a test of what they do to the data it held.
 *
 * @example
 * const old = await openDatabase({ url, log, migrations: migrationsUpTo(migrations, '0001_jobs') })
 */
export function migrationsUpTo<M>(migrations: Record<string, M>, last: string): Record<string, M> {
  return Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last))
}

/** Ports the OS says are free right now, for processes a test starts. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer()
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return server
    }),
  )
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

export {
  parseMail,
  selfSignedCertificate,
  startMailCatcher,
  type MailCatcher,
  type ParsedMail,
  type ReceivedMail,
} from './mail-catcher.ts'
export { sendMultipart } from './uploads.ts'
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts'
export { isRunning, processes, type ProcessInfo } from './processes.ts'
export { runNginx, type Nginx } from './nginx.ts'
export { eventually } from './eventually.ts'
