import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

let setpriv: boolean | undefined

/**
 * Whether children can be tied to this process here: Linux with util-linux's `setpriv` (every
 * Debian and Ubuntu system and image has it; macOS has nothing like it). Asked once.
 */
function canTieChildren(): boolean {
  setpriv ??=
    process.platform === 'linux' &&
    spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0
  return setpriv
}

/**
 * Starts `command` like `spawn` does, but tied to this process: when this process dies, however
 * it dies (SIGKILL included), the child gets `deathSignal`, so it never outlives its parent. On
 * Linux the child runs through `setpriv --pdeathsig <signal> --`, which sets the parent-death
 * signal and then becomes the command (same pid, no extra process); where `setpriv` is missing
 * (macOS), it is a plain `spawn`. A command that cannot be found fails as `spawn` fails (an
 * `error` event with code `ENOENT`).
 *
 * @example
 * // ffmpeg must not keep a core busy for a converter that was killed:
 * const child = spawnTied('ffmpeg', args, { deathSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] })
 */
export function spawnTied(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { deathSignal: NodeJS.Signals },
): ChildProcess {
  const { deathSignal, ...spawnOptions } = options
  const found = canTieChildren() ? findCommand(command, spawnOptions) : undefined
  // Not found: spawn it plainly, which fails with the usual ENOENT instead of setpriv's own error.
  if (!found) return spawn(command, args, spawnOptions)
  return spawn(
    'setpriv',
    ['--pdeathsig', deathSignal.replace(/^SIG/, ''), '--', found, ...args],
    spawnOptions,
  )
}

/** Where `command` is, as `execvp` looks for it: on the PATH, or where it says if it has a slash. */
function findCommand(command: string, { cwd, env = process.env }: SpawnOptions): string | undefined {
  const base = cwd === undefined ? process.cwd() : cwd instanceof URL ? fileURLToPath(cwd) : cwd
  const candidates = command.includes('/')
    ? [path.resolve(base, command)]
    : (env.PATH ?? '').split(path.delimiter).map((dir) => path.resolve(base, dir || '.', command))
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK)
      return statSync(file).isFile()
    } catch {
      return false
    }
  })
}
