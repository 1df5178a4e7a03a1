import { randomUUID } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import {
  BlobNotFoundError,
  BlobTooLargeError,
  checkBlobKey,
  InvalidBlobKeyError,
  type BlobSource,
  type BlobStore,
  type PutOptions,
} from './types.ts'

/** The name of a put's temporary file: `.<name>.<uuid>.tmp`, which no key can have. */
const TEMPORARY = /^\..+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/**
 * Blobs as files under `root`: key `videos/abc` is the file `<root>/videos/abc`. A blob is written
 * to a hidden temporary file beside its final place (`.abc.<uuid>.tmp`, a name no key can have)
 * and renamed into place once complete, so readers and concurrent writers only ever see whole
 * files; a put cut short by a crash leaves its temporary file to `removeIncomplete`. On disk a key
 * cannot also be the folder of other keys (`a` and `a/b`); media keys never are.
 */
export function localBlobStore(root: string): BlobStore {
  const base = path.resolve(root)

  const fileOf = (key: string) => {
    checkBlobKey(key)
    const file = path.join(base, ...key.split('/'))
    // Belt and braces: checkBlobKey already makes this impossible.
    if (!file.startsWith(base + path.sep)) throw new InvalidBlobKeyError(key, 'outside the store')
    return file
  }

  return {
    async put(key: string, source: BlobSource, { maxBytes, signal }: PutOptions) {
      const file = fileOf(key)
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`bad maxBytes: ${maxBytes}`)
      const folder = path.dirname(file)
      await mkdir(folder, { recursive: true })
      const temp = path.join(folder, `.${path.basename(file)}.${randomUUID()}.tmp`)
      // The file exists before any byte flows, so the clean-up below always finds it.
      const handle = await open(temp, 'wx')
      let size = 0
      try {
        await pipeline(
          source,
          async function* limit(chunks: AsyncIterable<unknown> | Iterable<unknown>) {
            for await (const chunk of chunks) {
              if (!(chunk instanceof Uint8Array)) throw new TypeError('a blob source must yield bytes')
              size += chunk.byteLength
              // Fails on the first chunk over the limit: no more than one chunk beyond it is read.
              if (size > maxBytes) throw new BlobTooLargeError(maxBytes)
              yield chunk
            }
          },
          // `flush`: fsync before the stream closes the file, so what is renamed is on disk.
          handle.createWriteStream({ flush: true }),
          { signal },
        )
        await rename(temp, file)
      } catch (error) {
        // Normally closed already by the stream; closing twice is harmless.
        await handle.close().catch(() => {})
        await rm(temp, { force: true })
        throw error
      }
      await syncFolder(folder)
      return { size }
    },

    async get(key: string) {
      const file = fileOf(key)
      let handle: FileHandle
      try {
        handle = await open(file, 'r')
      } catch (error) {
        if (isAbsent(error)) throw new BlobNotFoundError(key)
        throw error
      }
      try {
        // Size and content come from the same open file: a concurrent put renames a new file
        // into place and leaves this one whole until it is closed.
        const stats = await handle.stat()
        if (!stats.isFile()) throw new BlobNotFoundError(key)
        return { stream: handle.createReadStream(), size: stats.size }
      } catch (error) {
        await handle.close()
        throw error
      }
    },

    async delete(key: string) {
      try {
        await unlink(fileOf(key))
      } catch (error) {
        if (!isAbsent(error)) throw error
      }
    },

    async removeIncomplete(olderThanMs: number) {
      const before = Date.now() - olderThanMs
      let removed = 0
      const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => [])
      for (const entry of entries) {
        if (!entry.isFile() || !TEMPORARY.test(entry.name)) continue
        const file = path.join(entry.parentPath, entry.name)
        const stats = await stat(file).catch(() => null)
        if (!stats || stats.mtimeMs > before) continue
        await rm(file, { force: true })
        removed++
      }
      return removed
    },

    async exists(key: string) {
      try {
        return (await stat(fileOf(key))).isFile()
      } catch (error) {
        if (isAbsent(error)) return false
        throw error
      }
    },
  }
}

/** ENOENT: nothing there; ENOTDIR: a parent is a blob; EISDIR: the key is a folder of other keys. */
function isAbsent(error: unknown) {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
}

/** Makes a rename durable: the new directory entry reaches the disk, not only the file's bytes. */
async function syncFolder(folder: string) {
  const handle = await open(folder, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
