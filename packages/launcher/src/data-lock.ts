import { mkdir, open, readFile, rm } from 'node:fs/promises'
import path from 'node:path'

/**
 * Claims a data directory for this process: embedded databases must never be opened by two
 * processes at once. A lock left by a process that no longer runs is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true })
  const file = path.join(dataDir, 'convoy.lock')
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return () => rm(file, { force: true })
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST' || attempt > 0) throw error
      const owner = Number(await readFile(file, 'utf8').catch(() => ''))
      if (owner && owner !== process.pid && isRunning(owner)) {
        throw new Error(
          `${dataDir} is in use by another Convoy (pid ${owner}); stop it or use another CONVOY_DATA_DIR`,
          { cause: error },
        )
      }
      if (owner === process.pid)
        throw new Error(`${dataDir} is already in use by this process`, { cause: error })
      await rm(file, { force: true })
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}
