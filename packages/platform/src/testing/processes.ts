import { readdir, readFile } from 'node:fs/promises'

export interface ProcessInfo {
  pid: number
  ppid: number
  /** The executable's name as the kernel keeps it (at most 15 characters): `ffmpeg`, `node`. */
  name: string
}

/** A process as `/proc` shows it, or null once it is gone (a zombie counts as gone: it runs no more). */
async function processInfo(pid: number): Promise<ProcessInfo | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  if (!stat) return null
  // "pid (name) state ppid …": the name may hold spaces and parentheses, so split at the last ')'.
  const close = stat.lastIndexOf(')')
  const [state, ppid] = stat.slice(close + 2).split(' ')
  if (state === 'Z' || state === 'X') return null
  return { pid, ppid: Number(ppid), name: stat.slice(stat.indexOf('(') + 1, close) }
}

/**
 * The processes running on this machine (Linux: read from `/proc`), for tests that check that
 * no child outlives the process that started it.
 *
 * @example
 * const ffmpegs = (await processes()).filter((p) => p.ppid === converter.pid && p.name === 'ffmpeg')
 */
export async function processes(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number)
  const all = await Promise.all(pids.map(processInfo))
  return all.filter((info) => info !== null)
}

/** Whether a process still runs (and is the same program: `name`, when given, guards against a reused pid). */
export async function isRunning(pid: number, name?: string): Promise<boolean> {
  const info = await processInfo(pid)
  return info !== null && (name === undefined || info.name === name)
}
