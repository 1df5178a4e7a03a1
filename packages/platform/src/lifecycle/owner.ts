import { randomUUID } from 'node:crypto'
import { open, readFile, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'

/** Who holds something (a lock, a work folder, a lease): one claim of a process on a host. */
export interface Owner {
  hostname: string
  pid: number
  /** Tells apart the claims of one process, and a process from an earlier one with its pid. */
  id: string
}

/** The ids of this process's claims still in force. */
const held = new Set<string>()

/**
 * A new claim of this process, which {@link isOwnerGone} counts as alive until `end` is called.
 *
 * @example
 * const { owner, end } = takeOwnership()
 * await writeFile(lockFile, JSON.stringify(owner))
 * // … and when done:
 * end()
 */
export function takeOwnership(): { owner: Owner; end: () => void } {
  const owner = { hostname: hostname(), pid: process.pid, id: randomUUID() }
  held.add(owner.id)
  return { owner, end: () => void held.delete(owner.id) }
}

/**
 * Whether the claim of `owner` is known to be over, its process gone (killed, crashed): true when
 * it ran on this host and its process runs no more, or when its pid is this process's own but the
 * claim is not one this process holds (a restarted container is pid 1 again). An owner on another
 * host cannot be checked from here: it counts as alive.
 *
 * @example
 * const owner = parseOwner(lease.holder)
 * if (owner && isOwnerGone(owner)) takeOver(lease)
 */
export function isOwnerGone(owner: Owner): boolean {
  if (owner.hostname !== hostname()) return false
  if (owner.pid === process.pid) return !held.has(owner.id)
  try {
    process.kill(owner.pid, 0)
    return false
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH'
  }
}

/** An owner as written by `JSON.stringify`, or a bare pid (an older lock file); null if neither. */
export function parseOwner(text: string): Owner | null {
  if (/^\d+$/.test(text.trim())) return { hostname: hostname(), pid: Number(text), id: '' }
  try {
    const value = JSON.parse(text) as Partial<Owner>
    const { hostname: host, pid, id } = value
    if (typeof host === 'string' && Number.isInteger(pid) && typeof id === 'string')
      return { hostname: host, pid: pid!, id }
  } catch {
    // not an owner
  }
  return null
}

/** A claim file that cannot be read yet is being written, unless it is older than this. */
const BEING_WRITTEN_MS = 10_000

/** A claim held by a live process (or one being written right now). */
export class ClaimedError extends Error {
  readonly code = 'claimed'
  /** Its owner; undefined while the claim is still being written. */
  readonly owner?: Owner
  constructor(file: string, owner?: Owner) {
    super(
      owner
        ? `${file} is held by process ${owner.pid} on ${owner.hostname}`
        : `${file} is being claimed by another process`,
    )
    this.owner = owner
  }
}

/**
 * Claims `file` for this process: creates it, holding this process as its owner, or takes it over
 * from an owner that is gone ({@link isOwnerGone}). Throws {@link ClaimedError} while a live
 * process holds it (this one included). `release` removes it.
 *
 * @example
 * const lock = await claimFile(path.join(dataDir, 'convoy.lock'))
 * // … the data directory is ours until:
 * await lock.release()
 */
export async function claimFile(file: string): Promise<{ owner: Owner; release: () => Promise<void> }> {
  const { owner, end } = takeOwnership()
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(file, 'wx')
        try {
          await handle.writeFile(JSON.stringify(owner))
        } finally {
          await handle.close()
        }
        return {
          owner,
          async release() {
            end()
            await rm(file, { force: true })
          },
        }
      } catch (error) {
        if ((error as { code?: string }).code !== 'EEXIST' || attempt > 0) throw error
        const holder = await claimOf(file)
        if (holder !== 'gone') throw new ClaimedError(file, holder ?? undefined)
        await rm(file, { force: true })
      }
    }
  } catch (error) {
    end()
    throw error
  }
}

/** Whether the claim in `file` was left by an owner that is gone, so what it guards can go too. */
export async function isAbandoned(file: string): Promise<boolean> {
  return (await claimOf(file)) === 'gone'
}

/** The live owner of the claim in `file`; null while it is being written; 'gone' when over (or absent). */
async function claimOf(file: string): Promise<Owner | null | 'gone'> {
  const [text, stats] = await Promise.all([
    readFile(file, 'utf8').catch(() => null),
    stat(file).catch(() => null),
  ])
  if (text === null || stats === null) return 'gone'
  const owner = parseOwner(text)
  if (!owner) return Date.now() - stats.mtimeMs > BEING_WRITTEN_MS ? 'gone' : null
  return isOwnerGone(owner) ? 'gone' : owner
}
