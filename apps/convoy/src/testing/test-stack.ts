import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  createTestDatabase,
  createTestVhost,
  eventually,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  uniqueName,
} from '@convoy/platform/testing'
import { startStack, type StackOptions, type StackSystem } from '../stack.ts'
import type { ServiceName } from '../system.ts'
import { TEST_ADMIN_PASSWORD } from './login.ts'

/** The stateful services: each gets a database of its own in a test stack. */
const STATEFUL = [
  'auth',
  'position-tracker',
  'fleet-events',
  'media',
  'notification',
] as const satisfies ServiceName[]

export interface TestStack extends StackSystem {
  /** The RabbitMQ vhost the system runs on. */
  amqpUrl: string
  /** Where media keeps its files. */
  blobDir: string
}

/**
 * The stack topology for a test or a benchmark: every service its own process, on a fresh
 * PostgreSQL database per stateful service, a fresh RabbitMQ vhost and a fresh blob folder, all
 * removed again by `close`, and rate-limit counters of its own in the test Redis. The first
 * admin's password is `TEST_ADMIN_PASSWORD`. It resolves once every service is ready (`/readyz`):
 * the stack is up when each listens, but a verifier answers 503 until it has read the revocations,
 * and a test's first request must not race it.
 *
 * @example
 * const system = await startTestStack({ serviceEnv: { notification: { SMTP_PORT: String(smtp.port) } } })
 * try { ... } finally { await system.close() }
 */
export async function startTestStack(
  options: Partial<Omit<StackOptions, 'postgresUrl' | 'amqpUrl'>> & {
    /** The services reach RabbitMQ at this port instead (a proxy the test can cut). */
    amqpPort?: number
  } = {},
): Promise<TestStack> {
  const databases = await Promise.all(STATEFUL.map(() => createTestDatabase()))
  const vhost = await createTestVhost()
  const blobDir = await mkdtemp(path.join(tmpdir(), 'convoy-test-blobs-'))
  const cleanup = async () => {
    await Promise.all([...databases.map((database) => database.drop()), vhost.drop()])
    await rm(blobDir, { recursive: true, force: true })
  }
  try {
    const amqpUrl = new URL(vhost.url)
    if (options.amqpPort) amqpUrl.port = String(options.amqpPort)
    const system = await startStack({
      postgresUrl: TEST_POSTGRES_URL,
      amqpUrl: amqpUrl.toString(),
      redisUrl: TEST_REDIS_URL,
      // Its own counters in the shared Redis (the databases are named below, not by the prefix).
      databasePrefix: `${uniqueName('convoy_test')}_`,
      port: 0,
      stdio: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
      ...options,
      databaseUrls: {
        ...Object.fromEntries(STATEFUL.map((service, i) => [service, databases[i]!.url])),
        ...options.databaseUrls,
      },
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        BLOB_STORE_URL: pathToFileURL(blobDir).href,
        ...options.env,
      },
    })
    try {
      await Promise.all(
        Object.entries(system.ops).map(([service, ops]) =>
          eventually(async () => (await fetch(`${ops}/readyz`)).ok, `${service} ready`, 60_000),
        ),
      )
    } catch (error) {
      await system.close()
      throw error
    }
    return {
      ...system,
      amqpUrl: vhost.url,
      blobDir,
      async close() {
        try {
          await system.close()
        } finally {
          await cleanup()
        }
      },
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
