import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { spawnTied } from '../lifecycle/tied-child.ts'

export interface RunResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  /** Standard output, up to `maxStdoutBytes`. */
  stdout: string
  /** The end of standard error (its last `maxStderrBytes`): where tools put the reason they failed. */
  stderr: string
  /** True when the process was stopped because it ran past `timeoutMs`. */
  timedOut: boolean
}

export interface RunOptions {
  timeoutMs: number
  /** How long a process has to end after SIGTERM before it gets SIGKILL. Default 2000. */
  graceMs?: number
  maxStdoutBytes?: number
  maxStderrBytes?: number
  /** The command's environment (default: this process's) and working directory. */
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/**
 * Runs `command` with `args` (no shell: nothing in them is interpreted) and resolves once it has
 * exited and its output is closed, whatever its exit code. Past `timeoutMs` it gets SIGTERM, then
 * SIGKILL after `graceMs`, so it never outlives the promise by more than the grace period; and it
 * gets SIGKILL if this process dies first (see `spawnTied`), so it never outlives this process.
 * Rejects only when the command cannot be started at all (not installed).
 */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const {
    timeoutMs,
    graceMs = 2000,
    maxStdoutBytes = 1024 * 1024,
    maxStderrBytes = 8 * 1024,
    env,
    cwd,
  } = options
  return new Promise((resolve, reject) => {
    const child = spawnTied(command, args, {
      deathSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      cwd,
    }) as ChildProcessByStdio<null, Readable, Readable>
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length < maxStdoutBytes) stdout += chunk.slice(0, maxStdoutBytes - stdout.length)
    })
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-maxStderrBytes)
    })

    let kill: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      kill = setTimeout(() => child.kill('SIGKILL'), graceMs)
    }, timeoutMs)

    const settle = () => {
      clearTimeout(timer)
      clearTimeout(kill)
    }
    child.once('error', (error) => {
      settle()
      reject(error)
    })
    child.once('close', (code, signal) => {
      settle()
      resolve({ code, signal, stdout, stderr, timedOut })
    })
  })
}
