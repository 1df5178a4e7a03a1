/**
 * Podman for the container tests and benchmarks, set up by the project's own files: nothing
 * installed or configured by hand on the machine is relied on, and nothing outside a temporary
 * folder is changed. Runs as root (Debian's podman, runc and docker-compose v1).
 *
 * - `containers.conf`: runtime runc (crun fails here on setrlimit and on hybrid cgroups), cgroup
 *   manager cgroupfs (no systemd), default ulimits nofile 1024 and nproc 1000, and the networks'
 *   configuration kept in the temporary folder;
 * - `storage.conf`: images, layers and volumes in the temporary folder, removed by `close`;
 * - `podman system service`: the Docker-compatible socket docker-compose talks to.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, open as openFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { run as runCommand } from '@convoy/platform/media'
import { eventually } from '@convoy/platform/testing'

/**
 * Everything podman runs — the builds (debootstrap, apt, npm ci, a compiler), the containers — at
 * the lowest CPU priority: it takes minutes and can wait, and the tests running beside it in
 * `npm test` measure time (a deadline, an order of events) and cannot.
 */
export const NICENESS = '-n19'

/** What a machine needs for the container tests, and the Debian packages that bring it. */
const TOOLS = {
  podman: 'podman',
  runc: 'runc',
  debootstrap: 'debootstrap',
  'docker-compose': 'docker-compose',
} as const

export interface Podman {
  /** The environment podman and docker-compose run with (`DOCKER_HOST` is podman's socket). */
  env: NodeJS.ProcessEnv
  /** The temporary folder that holds everything podman keeps. */
  dir: string
  /** Runs `podman …`; resolves with its standard output, rejects with its standard error. */
  podman(args: string[], options?: RunOptions): Promise<string>
  /** Runs `docker-compose …` against podman's socket. */
  compose(args: string[], options?: RunOptions): Promise<string>
  /** Removes every container, image, volume and network made, and the folder. */
  close(): Promise<void>
}

export interface RunOptions {
  cwd?: string
  /** Extra environment. */
  env?: NodeJS.ProcessEnv
}

/** Every podman started and not closed yet: `closeEveryPodman` is what a timed-out test calls. */
const open = new Set<Podman>()

/** Closes every podman `startPodman` made that is still open. */
export async function closeEveryPodman(): Promise<void> {
  await Promise.all([...open].map((podman) => podman.close()))
}

/** Starts podman's service in a fresh folder; fails loudly when a tool is missing or cannot run. */
export async function startPodman(): Promise<Podman> {
  const missing = (
    await Promise.all(
      Object.entries(TOOLS).map(async ([tool, pkg]) =>
        (await run('sh', ['-c', `command -v ${tool}`], {}).then(
          () => true,
          () => false,
        ))
          ? []
          : [pkg],
      ),
    )
  ).flat()
  if (missing.length > 0)
    throw new Error(
      `the container tests need podman, runc, debootstrap and docker-compose: apt-get install -y ${missing.join(' ')}`,
    )

  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-podman-'))
  const networks = path.join(dir, 'networks')
  await mkdir(networks)
  await writeFile(
    path.join(dir, 'containers.conf'),
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      // Not /run/libpod, the default as root: `podman system reset` would remove the host's.
      `tmp_dir = "${path.join(dir, 'tmp')}"`,
      `events_logfile_path = "${path.join(dir, 'events.log')}"`,
      '[network]',
      `network_config_dir = "${networks}"`,
      '',
    ].join('\n'),
  )
  await writeFile(
    path.join(dir, 'storage.conf'),
    [
      '[storage]',
      'driver = "overlay"',
      `graphroot = "${path.join(dir, 'storage')}"`,
      `runroot = "${path.join(dir, 'run')}"`,
      '',
    ].join('\n'),
  )
  const socket = path.join(dir, 'podman.sock')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: path.join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
    DOCKER_HOST: `unix://${socket}`,
    // docker-compose v1 asks for a TTY-less, plain output.
    COMPOSE_INTERACTIVE_NO_CLI: '1',
  }

  let service: ChildProcess | undefined
  const podman = (args: string[], options: RunOptions = {}) =>
    run('nice', [NICENESS, 'podman', ...args], { ...options, env: { ...env, ...options.env } })
  const handle: Podman = {
    env,
    dir,
    podman,
    compose: (args, options = {}) =>
      run('nice', [NICENESS, 'docker-compose', ...args], { ...options, env: { ...env, ...options.env } }),
    close: () => close(),
  }
  const close = async () => {
    open.delete(handle)
    await podman(['rm', '--all', '--force', '--time', '0']).catch(() => {})
    await podman(['volume', 'prune', '--force']).catch(() => {})
    await podman(['network', 'prune', '--force']).catch(() => {})
    service?.kill('SIGTERM')
    await podman(['system', 'reset', '--force']).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'])
    // Its log (one line per healthcheck it cannot schedule without systemd) stays in the folder.
    const log = await openFile(path.join(dir, 'service.log'), 'a')
    service = spawn('nice', [NICENESS, 'podman', 'system', 'service', '--time=0', `unix://${socket}`], {
      env,
      stdio: ['ignore', log.fd, log.fd],
    })
    await log.close()
    const stopService = () => service?.kill('SIGTERM')
    // A test process that ends without `close` (a timeout, an error before it) leaves no service.
    process.once('exit', stopService)
    await eventually(() => ping(socket), "podman's Docker-compatible socket", 30_000)
  } catch (error) {
    await close()
    throw new Error(`podman cannot run on this machine: ${(error as Error).message}`, { cause: error })
  }
  open.add(handle)
  return handle
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath: socket, path: '/_ping' }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on('error', () => resolve(false))
  })
}

/** The longest any one command of these tests may take: a build of an image from nothing. */
const COMMAND_TIMEOUT_MS = 20 * 60_000

/**
 * Runs a command to its end (the platform's `run`: killed past its time, and with this process):
 * its standard output, or an error with the end of its standard error.
 */
export async function run(command: string, args: string[], options: RunOptions): Promise<string> {
  const result = await runCommand(command, args, { ...options, timeoutMs: COMMAND_TIMEOUT_MS })
  if (result.code === 0) return result.stdout
  const why = result.timedOut
    ? `timed out after ${COMMAND_TIMEOUT_MS / 60_000} min`
    : (result.signal ?? result.code)
  throw new Error(`${command} ${args.join(' ')} failed (${why}):\n${result.stderr}`)
}
