import { existsSync } from 'node:fs'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'

/**
 * A new PGlite database runs initdb, about 3 s of WebAssembly each time; a copy of a freshly
 * initialised one loads in well under a second. So the first new database on a machine makes
 * that copy (a tar of the data folder, keyed by PGlite's version, in the temporary folder) and
 * every later one starts from it. A copy that is missing or of another version is made again.
 * The copy holds the `postgres` database alone: a service never creates a database, so the
 * template databases initdb makes for that (`template0`, `template1`, 7 MB each) go, and a new
 * database takes 24 MB of disk instead of 39 (16 of them the first WAL segment).
 */
let cached: Promise<Blob> | undefined

export function pgliteTemplate(): Promise<Blob> {
  return (cached ??= loadOrMake().catch((error: unknown) => {
    cached = undefined // a failed attempt (a full disk) is not remembered
    throw error
  }))
}

/** Whether `dir` already holds a database (else it is new, and starts from the template). */
export const holdsDatabase = (dir: string) => existsSync(path.join(dir, 'PG_VERSION'))

async function loadOrMake(): Promise<Blob> {
  const file = path.join(tmpdir(), `convoy-pglite-${await pgliteVersion()}.tar`)
  try {
    return new Blob([await readFile(file)])
  } catch {
    const pglite = await PGlite.create()
    try {
      for (const name of ['template0', 'template1']) {
        await pglite.exec(`ALTER DATABASE ${name} IS_TEMPLATE false`)
        await pglite.exec(`DROP DATABASE ${name}`) // alone: not inside a transaction
      }
      await pglite.exec('CHECKPOINT')
    } catch {
      // A PGlite that will not drop them: the copy keeps them, and is only larger.
    }
    const dump = await pglite.dumpDataDir('none')
    await pglite.close()
    // Written whole, then renamed: a process reading it at the same moment never sees half of it.
    const partial = `${file}.${process.pid}.partial`
    try {
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
      await rename(partial, file)
    } catch {
      await rm(partial, { force: true }) // not cached (a read-only folder): still usable this time
    }
    return dump
  }
}

async function pgliteVersion(): Promise<string> {
  // The package's manifest is not among its exports: found beside its entry point.
  let dir = path.dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string }
  return manifest.version
}
