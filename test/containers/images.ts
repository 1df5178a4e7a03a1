/**
 * Every image compose.yaml runs, built here with podman: the service images from the project's
 * Dockerfile exactly as compose.yaml builds them, and — since no registry can be reached — test
 * stand-ins for the images pulled from one (Node, PostgreSQL, RabbitMQ, Valkey, Mailpit), made from
 * Debian's packages and tagged with the very names the Dockerfile and compose.yaml use. Those are
 * never pushed anywhere; the real images replace them wherever a registry answers.
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { composeConfig } from '../deploy/compose.ts'
import { NICENESS, run, type Podman } from './podman.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const COMPOSE_FILE = path.join(ROOT, 'compose.yaml')
const STAND_INS = fileURLToPath(new URL('stand-ins/', import.meta.url))
/** The Debian every stand-in starts from. */
const DEBIAN = 'localhost/convoy-stand-in/debian:bookworm'
/** Where debootstrap and the stand-ins' apt get Debian's packages. */
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'

/** The image a stand-in replaces, by its repository's last name, e.g. `postgres:18.6-bookworm`. */
const STAND_IN_FILES: Record<string, string> = {
  node: 'node.Containerfile',
  postgres: 'postgres.Containerfile',
  rabbitmq: 'rabbitmq.Containerfile',
  valkey: 'valkey.Containerfile',
  mailpit: 'mailpit.Containerfile',
}

export interface ServiceImage {
  service: string
  image: string
  /** The build's Dockerfile stage, when not the last one. */
  target?: string
}

/** The images compose.yaml builds, and the ones it pulls. */
export function composeImages(env: Record<string, string> = {}) {
  const services = composeConfig(COMPOSE_FILE, { CONVOY_ADMIN_PASSWORD: 'only read for the images', ...env })
  const built: ServiceImage[] = []
  const pulled = new Set<string>()
  for (const [service, config] of Object.entries(services)) {
    if (!config.image) throw new Error(`compose service ${service} names no image`)
    if (config.build) {
      const build = config.build as { target?: string; args?: Record<string, string> }
      if (build.args?.SERVICE !== service)
        throw new Error(`compose service ${service} builds SERVICE=${build.args?.SERVICE}`)
      built.push({ service, image: config.image, target: build.target })
    } else pulled.add(config.image)
  }
  return { built, pulled: [...pulled] }
}

/** The image every stage of the Dockerfile starts from (its first FROM). */
async function dockerfileBase(): Promise<string> {
  const from = /^FROM\s+(\S+)/m.exec(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'))
  if (!from) throw new Error('the Dockerfile has no FROM')
  return from[1]!
}

/** Docker's full name of an image reference: `postgres:18` → `docker.io/library/postgres:18`. */
export function fullName(image: string): string {
  const [first, ...rest] = image.split('/')
  if (rest.length === 0) return `docker.io/library/${image}`
  if (first!.includes('.') || first!.includes(':') || first === 'localhost') return image
  return `docker.io/${image}`
}

/**
 * Builds the stand-ins for the Dockerfile's base and every image compose.yaml pulls: a minimal
 * Debian bookworm (debootstrap, trimmed as debian:bookworm-slim is), then one image per
 * Containerfile of `stand-ins/`.
 */
export async function buildStandIns(podman: Podman, pulled: string[]): Promise<void> {
  const rootfs = path.join(podman.dir, 'debian')
  await run('nice', [NICENESS, 'debootstrap', '--variant=minbase', 'bookworm', rootfs, DEBIAN_MIRROR], {})
  // What debian:bookworm-slim leaves out too: package caches, lists, docs, manuals, translations.
  for (const folder of [
    'var/cache/apt',
    'var/lib/apt/lists',
    'usr/share/doc',
    'usr/share/man',
    'usr/share/locale',
    'usr/share/info',
  ])
    await rm(path.join(rootfs, folder), { recursive: true, force: true })
  await mkdir(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true })
  await mkdir(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true })
  // Where debian:bookworm keeps its sources, in the same format: a Dockerfile may edit them.
  await rm(path.join(rootfs, 'etc/apt/sources.list'))
  await writeFile(
    path.join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
    [
      ['bookworm bookworm-updates', DEBIAN_MIRROR],
      ['bookworm-security', `${DEBIAN_MIRROR}-security`],
    ]
      .map(
        ([suites, uri]) =>
          `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      )
      .join('\n'),
  )
  await run('sh', ['-c', `tar -C '${rootfs}' -c . | nice ${NICENESS} podman import - ${DEBIAN}`], {
    env: podman.env,
  })
  await rm(rootfs, { recursive: true, force: true })

  // Node: the project's own binary (the `node` package) and the npm running these tests.
  const nodeContext = path.join(podman.dir, 'node-context')
  await mkdir(nodeContext)
  await cp(process.execPath, path.join(nodeContext, 'node'))
  await cp(npmFolder(), path.join(nodeContext, 'npm'), { recursive: true })
  await cp(path.join(STAND_INS, STAND_IN_FILES.node!), path.join(nodeContext, 'Containerfile'))
  const images = [
    { image: await dockerfileBase(), context: nodeContext, file: path.join(nodeContext, 'Containerfile') },
    ...pulled.map((image) => {
      const name = image.split(':')[0]!.split('/').at(-1)!
      const file = STAND_IN_FILES[name]
      if (!file) throw new Error(`no stand-in for ${image}: add stand-ins/${name}.Containerfile`)
      return { image, context: STAND_INS, file: path.join(STAND_INS, file) }
    }),
  ]
  for (const { image, context, file } of images)
    await podman.podman(['build', '--network', 'host', '--file', file, '--tag', fullName(image), context])
  await rm(nodeContext, { recursive: true, force: true })
}

/** The npm this process runs under (`npm test`), or the one on the PATH. */
function npmFolder(): string {
  const cli =
    process.env.npm_execpath ??
    execFileSync('sh', ['-c', 'readlink -f "$(command -v npm)"'], { encoding: 'utf8' }).trim()
  return path.resolve(path.dirname(cli), '..')
}

/**
 * Builds the services' images as compose.yaml does (`docker compose build`): the root Dockerfile,
 * `SERVICE`, the target; one at a time, as they share every layer up to the service's bundle. npm
 * in the build reaches the registry over the host's network; a machine behind a TLS-inspecting
 * proxy gives its CA bundle (`NPM_CONFIG_CAFILE`, or the system's when there is one) through an
 * `.npmrc` mounted for the build only: nothing of it reaches an image.
 */
export async function buildServiceImages(podman: Podman, images: ServiceImage[]): Promise<void> {
  const npmConfig = await hostNpmConfig(podman.dir)
  for (const image of images)
    await podman.podman([
      'build',
      '--network',
      'host',
      ...npmConfig,
      '--build-arg',
      `SERVICE=${image.service}`,
      ...(image.target ? ['--target', image.target] : []),
      '--tag',
      fullName(image.image),
      ROOT,
    ])
}

async function hostNpmConfig(dir: string): Promise<string[]> {
  const bundle = process.env.NPM_CONFIG_CAFILE ?? '/etc/ssl/certs/ca-certificates.crt'
  const exists = await readFile(bundle).then(
    () => true,
    () => false,
  )
  if (!exists) return []
  const npmrc = path.join(dir, 'build.npmrc')
  await writeFile(npmrc, 'cafile=/run/host-ca.crt\n')
  return ['--volume', `${npmrc}:/root/.npmrc:ro`, '--volume', `${bundle}:/run/host-ca.crt:ro`]
}
