import {
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  type Generated,
  type Migration,
  type PostgresPool,
  type Selectable,
} from 'kysely'
import pg from 'pg'
import { isConnectionError } from '../errors/index.ts'
import type { Logger } from '../log/index.ts'

export { sql, type Generated, type Kysely, type Migration, type Selectable }

export interface Database<Schema> {
  db: Kysely<Schema>
  /** `embedded` for PGlite, `postgres` for a real server. */
  kind: 'embedded' | 'postgres'
  /** True when the database answers a trivial query. */
  ping: () => Promise<boolean>
  close: () => Promise<void>
}

export interface OpenDatabaseOptions {
  /** `postgres://user:pass@host:port/db` for a server, `pglite:///abs/dir` or `pglite:memory` embedded. */
  url: string
  log: Logger
  /** Migrations by name, applied in name order at open. */
  migrations: Record<string, Migration>
  /** Connections in the pool (servers only). */
  poolSize?: number
}

/**
 * Opens a service's own database, on a PostgreSQL server or embedded PGlite, and migrates it.
 * Both speak the same SQL, so the service's queries and migrations run unchanged on either.
 *
 * @example
 * const { db } = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
 */
export async function openDatabase<Schema>(options: OpenDatabaseOptions): Promise<Database<Schema>> {
  const kind = options.url.startsWith('pglite:') ? 'embedded' : 'postgres'
  // PGlite is loaded only for an embedded database: a process on a server never holds it.
  const pool =
    kind === 'embedded'
      ? await (await import('./embedded-pool.ts')).embeddedPool(options.url)
      : serverPool(options)
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
  const database: Database<Schema> = {
    db,
    kind,
    ping: async () => {
      try {
        await sql`select 1`.execute(db)
        return true
      } catch {
        return false
      }
    },
    close: () => db.destroy(),
  }
  await retry(() => migrate(db, options), options.log)
  return database
}

function serverPool(options: OpenDatabaseOptions): PostgresPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  })
  // An idle client dies when the server restarts; the pool replaces it. Without a listener
  // the 'error' event would crash the process.
  pool.on('error', (error) => options.log.warn({ reason: error.message }, 'database connection lost'))
  return pool
}

/** A server may still be starting (or restarting) when the service starts: try for about a minute. */
async function retry(action: () => Promise<void>, log: Logger, attempts = 30): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (attempt >= attempts || !isConnectionError(error)) throw error
      log.warn({ err: error, attempt }, 'database not reachable yet, retrying')
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 3000)))
    }
  }
}

async function migrate<Schema>(db: Kysely<Schema>, options: OpenDatabaseOptions): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => options.migrations } })
  const { error, results } = await migrator.migrateToLatest()
  for (const result of results ?? []) {
    options.log.info({ migration: result.migrationName, status: result.status }, 'migration applied')
  }
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error })
}
