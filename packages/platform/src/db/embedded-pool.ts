import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import type { PostgresPool } from 'kysely'
import { pglitePool } from './pglite-pool.ts'
import { holdsDatabase, pgliteTemplate } from './pglite-template.ts'

/** A pool on the embedded database a `pglite:` URL names: in memory, or in a folder kept across starts. */
export async function embeddedPool(url: string): Promise<PostgresPool> {
  const location = url.replace(/^pglite:(\/\/)?/, '')
  if (location === 'memory' || location === '')
    return pglitePool(await PGlite.create({ loadDataDir: await pgliteTemplate() }))
  await mkdir(location, { recursive: true })
  const fresh = !holdsDatabase(location)
  return pglitePool(await PGlite.create(location, fresh ? { loadDataDir: await pgliteTemplate() } : {}))
}
