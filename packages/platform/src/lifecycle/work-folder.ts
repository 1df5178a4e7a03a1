import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from '../log/index.ts'
import { claimFile, isAbandoned } from './owner.ts'

const PREFIX = 'convoy-'
const CLAIM = '.owner'

export interface WorkFolder {
  /** The folder: this process's alone. */
  path: string
  /** Removes the folder and what is in it, and gives up the claim. */
  release(): Promise<void>
}

/**
 * Claims a work folder of this process's own under `workDir` (`convoy-<name>-<id>`, with its
 * owner in `convoy-<name>-<id>.owner` beside it), for temporary files. First it removes the
 * folders that processes now gone left there (a crash, a SIGKILL: their uploads and conversions
 * cut short), whatever service they were, and never one of a live process: several processes may
 * share `workDir`. An owner on another host is never judged gone (see `isOwnerGone`).
 *
 * @example
 * const work = await claimWorkFolder(config.WORK_DIR, 'converter', log)
 * const dir = await mkdtemp(path.join(work.path, 'job-'))
 * // at shutdown:
 * await work.release()
 */
export async function claimWorkFolder(workDir: string, name: string, log: Logger): Promise<WorkFolder> {
  await mkdir(workDir, { recursive: true })
  const swept = await sweepWorkFolders(workDir)
  if (swept.length > 0) log.info({ workDir, folders: swept }, 'work folders left by a crash removed')
  const folder = path.join(workDir, `${PREFIX}${name}-${randomBytes(6).toString('hex')}`)
  // The claim comes first and goes last: a folder never stands without its owner.
  const claim = await claimFile(`${folder}${CLAIM}`)
  await mkdir(folder)
  return {
    path: folder,
    async release() {
      await rm(folder, { recursive: true, force: true })
      await claim.release()
    },
  }
}

/** Removes the work folders under `workDir` whose owners are gone; their names. */
async function sweepWorkFolders(workDir: string): Promise<string[]> {
  const swept: string[] = []
  for (const entry of await readdir(workDir)) {
    if (!entry.startsWith(PREFIX) || !entry.endsWith(CLAIM)) continue
    const claim = path.join(workDir, entry)
    if (!(await isAbandoned(claim))) continue
    const folder = claim.slice(0, -CLAIM.length)
    await rm(folder, { recursive: true, force: true })
    await rm(claim, { force: true })
    swept.push(path.basename(folder))
  }
  return swept
}
