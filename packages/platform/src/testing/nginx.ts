import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eventually } from './eventually.ts'

export interface Nginx {
  /** The master process; its workers are its children. */
  pid: number
  /** Every line nginx wrote to stdout so far (an `access_log /dev/stdout` writes there), in order. */
  stdout: () => Promise<string[]>
  /** What nginx wrote to stderr so far (its error log, with `-e stderr`). */
  stderr: () => string
  stop: () => Promise<void>
}

/**
 * A private nginx (the system's `nginx`, e.g. Debian's) running `config` in the foreground as our
 * child, its prefix a temp directory of its own: relative paths in the config (pid, temp paths)
 * land there, the error log goes to stderr, and the system's nginx configuration is never read or
 * touched. Its stdout is a file there: nginx opens `/dev/stdout` anew, which a pipe allows and the
 * socket Node gives a child for stdout does not. Resolves once `readyUrl` answers; `stop` ends it (SIGTERM) and removes the directory.
 *
 * @example
 * const nginx = await runNginx({ config, readyUrl: `http://127.0.0.1:${port}/` })
 * try { ... } finally { await nginx.stop() }
 */
export async function runNginx(options: { config: string; readyUrl: string }): Promise<Nginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-nginx-'))
  await writeFile(path.join(dir, 'nginx.conf'), options.config)
  const stdoutFile = path.join(dir, 'stdout.log')
  const out = await open(stdoutFile, 'w')
  const child = spawn(
    'nginx',
    ['-p', `${dir}/`, '-e', 'stderr', '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', out.fd, 'pipe'] },
  )
  await out.close()
  const stdout = async () => (await readFile(stdoutFile, 'utf8')).split('\n').filter(Boolean)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit')
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with code ${child.exitCode}: ${stderr}`)
        await fetch(options.readyUrl)
        return true
      },
      'nginx listening',
      10_000,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return { pid: child.pid!, stdout, stderr: () => stderr, stop }
}
