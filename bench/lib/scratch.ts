/** Throw-away PostgreSQL databases and RabbitMQ vhosts, dropped when the benchmark ends. */
import pg from 'pg'
import { createTestDatabase, createTestVhost, queueCounts } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'

export interface Scratch {
  url: string
  /** Drops it now; the cleanup at exit then does nothing. */
  drop(): Promise<void>
}

function dropOnce(what: string, resource: { url: string; drop(): Promise<void> }): Scratch {
  let dropped: Promise<void> | undefined
  const drop = () => (dropped ??= resource.drop())
  onCleanup(what, drop)
  return { url: resource.url, drop }
}

export const scratchDatabase = async () => dropOnce('database', await createTestDatabase())
export const scratchVhost = async () => dropOnce('vhost', await createTestVhost())

/** One query on a database, on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

/** Messages in a queue of a vhost (ready + unacknowledged). */
export async function queueMessages(vhostUrl: string, queue: string): Promise<number> {
  const { ready, unacked } = await queueCounts(vhostUrl, queue)
  return ready + unacked
}
