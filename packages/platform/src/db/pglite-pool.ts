import type { PGlite } from '@electric-sql/pglite'
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'

/**
 * Lets Kysely's PostgreSQL dialect drive an embedded PGlite database.
 * PGlite is a single session, so this is a pool of exactly one connection: a caller that
 * connects while a transaction holds it waits its turn, and transactions never interleave.
 */
export function pglitePool(pglite: PGlite): PostgresPool {
  let tail: Promise<void> = Promise.resolve()

  const client = (release: () => void): PostgresPoolClient =>
    ({
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        const result = await pglite.query<R>(sql, parameters as unknown[])
        return {
          // Kysely reads the command only to know whether rowCount counts affected rows; the
          // statement's first keyword says so for the statements services write.
          command: sql.trimStart().slice(0, 6).toUpperCase() as PostgresQueryResult<R>['command'],
          rowCount: result.affectedRows ?? result.rows.length,
          rows: result.rows,
        }
      },
      release,
    }) as PostgresPoolClient

  return {
    connect() {
      let release!: () => void
      const turn = new Promise<void>((resolve) => (release = resolve))
      const acquired = tail.then(() => client(release))
      tail = tail.then(() => turn)
      return acquired
    },
    async end() {
      await tail
      await pglite.close()
    },
  }
}
