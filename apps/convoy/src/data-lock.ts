import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { claimFile, ClaimedError } from '@convoy/platform/lifecycle'

/**
 * Claims a data directory for this process: embedded databases must never be opened by two
 * processes at once. A lock left by a process that no longer runs is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true })
  try {
    const lock = await claimFile(path.join(dataDir, 'convoy.lock'))
    return lock.release
  } catch (error) {
    if (!(error instanceof ClaimedError)) throw error
    const pid = error.owner?.pid
    if (pid === process.pid) throw new Error(`${dataDir} is already in use by this process`, { cause: error })
    throw new Error(
      `${dataDir} is in use by another Convoy${pid ? ` (pid ${pid})` : ''}; stop it or use another CONVOY_DATA_DIR`,
      { cause: error },
    )
  }
}
