/**
 * The container images and the compose stack, checked offline (test/containers builds and runs
 * them): the one Dockerfile every service is built from passes the linter and keeps the project's
 * rules (docs/deploy.md#containers), the build context leaves out what must never reach an image,
 * and compose.yaml is valid and runs every service of services/, wired like the stack launcher.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { composeConfig, dockerCompose } from './compose.ts'
import { checkDockerfile, execForm, isPinned, lintDockerfile, parseDockerfile } from './dockerfile.ts'
import { dockerignore } from './dockerignore.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string) => readFileSync(ROOT + path, 'utf8')

interface Manifest {
  name: string
  exports?: Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}
type ConfigSchema = { properties: Record<string, { default?: unknown }> }

/** Every workspace package, by name, with its folder. */
const workspaces = new Map<string, { folder: string; manifest: Manifest }>()
for (const group of ['packages', 'services'])
  for (const name of readdirSync(ROOT + group))
    if (existsSync(`${ROOT}${group}/${name}/package.json`)) {
      const manifest = JSON.parse(read(`${group}/${name}/package.json`)) as Manifest
      workspaces.set(manifest.name, { folder: `${group}/${name}`, manifest })
    }

/**
 * Each service: its entry point (package.json `exports`), its config schema, its default ports:
 * the API's (a worker has none) and the operational endpoints'.
 */
const services = await Promise.all(
  [...workspaces.values()]
    .filter(({ folder }) => folder.startsWith('services/'))
    .map(async ({ folder, manifest }) => {
      const entry = `${folder}/${(manifest.exports?.['.'] ?? '').replace(/^\.\//, '')}`
      const module = (await import(pathToFileURL(`${ROOT}${dirname(entry)}/config.ts`).href)) as {
        Config: ConfigSchema
      }
      const config = module.Config.properties
      return {
        name: folder.slice('services/'.length),
        folder,
        manifest,
        entry,
        config,
        port: config.PORT ? Number(config.PORT.default) : undefined,
        opsPort: Number(config.OPS_PORT?.default),
      }
    }),
)
const NODE_VERSION = (JSON.parse(read('package.json')) as Manifest).devDependencies?.node

test('there are services, each with a default ops port apart from its API port', () => {
  assert.ok(services.length >= 5)
  for (const { name, port, opsPort } of services) {
    assert.ok(opsPort > 0, `${name}: no OPS_PORT default in its config`)
    assert.notEqual(opsPort, port, `${name}: the ops port is the API's`)
  }
})

/** The services that run ffmpeg or ffprobe (a path to one in their config): built as `service-ffmpeg`. */
const runsFfmpeg = (service: (typeof services)[number]) =>
  Object.keys(service.config).some((key) => /^FF(MPEG|PROBE)_PATH$/.test(key))

describe('Dockerfile (every service: SERVICE=<name>, target service or service-ffmpeg)', () => {
  const text = read('Dockerfile')
  const stages = parseDockerfile(text)
  const stage = (name: string) => stages.find((s) => s.name === name)
  const args = (name: string, keyword: string) =>
    stage(name)
      ?.instructions.filter((i) => i.keyword === keyword)
      .map((i) => i.args) ?? []

  test('passes the linter', () => {
    assert.deepEqual(lintDockerfile(text), [])
  })

  test("keeps the project's image rules", () => {
    assert.deepEqual(checkDockerfile(text), [])
  })

  test("names the project's Node version, once", () => {
    const external = stages.map((s) => s.base).filter((base) => !stages.some((s) => s.name === base))
    assert.deepEqual(external, [`node:${NODE_VERSION}-bookworm-slim`])
  })

  test('the default target is `service`; `service-ffmpeg` is the other image; both start node main.js as PID 1, OpenTelemetry loaded first', () => {
    assert.equal(stages.at(-1)?.name, 'service')
    for (const name of ['service', 'service-ffmpeg']) {
      assert.deepEqual(
        execForm(args(name, 'CMD').at(-1) ?? ''),
        ['node', '--import', './register.js', 'main.js'],
        name,
      )
      assert.deepEqual(args(name, 'ENTRYPOINT'), [], name)
      assert.ok(args(name, 'COPY').includes('--from=build /out ./'), `${name}: the bundle`)
      assert.deepEqual(
        args(name, 'COPY').filter((copy) => !copy.startsWith('--from=')),
        [],
        `${name}: nothing from the context, only what the build stages made`,
      )
    }
  })

  test('installs every workspace from the lockfile: each package.json is copied before npm ci', () => {
    const copied = args('build', 'COPY').map((copy) => copy.split(/\s+/)[0])
    const manifests = [
      ...[...workspaces.values()].map(({ folder }) => `${folder}/package.json`),
      ...readdirSync(ROOT + 'apps').map((app) => `apps/${app}/package.json`),
    ]
    for (const manifest of manifests) assert.ok(copied.includes(manifest), `${manifest} is not copied`)
  })
})

describe('.dockerignore', () => {
  const ignored = dockerignore(read('.dockerignore'))

  test('leaves out what must never reach an image', () => {
    const never = [
      '.git/config',
      '.env',
      '.env.production',
      'services/auth/.env',
      '.npmrc',
      'node_modules/pg/package.json',
      'services/web/node_modules/.vite/x',
      '.data/auth/PG_VERSION',
      'services/web/dist/index.html',
      'apps/convoy/test-results/fleet.png',
      'test-results/x.png',
      'bench/results/run.json',
      'deploy/k8s/overlays/local/secrets/auth.env',
      'secrets/admin-password',
      'services/auth/secrets/signing-key',
      'services/auth/.npmrc',
      'services/auth/tls.key',
      'docs/architecture.md',
      'README.md',
      'apps/convoy/test/system/fleet.test.ts',
      'services/auth/src/app.test.ts',
      'services/web/test/server.test.ts',
      'packages/platform/src/testing/index.ts',
      'compose.yaml',
      '.ci/run',
    ]
    assert.deepEqual(
      never.filter((path) => !ignored(path)),
      [],
    )
  })

  test("lets in everything the Dockerfile copies from the context, and every service's sources", () => {
    const sent: string[] = []
    for (const { keyword, args } of parseDockerfile(read('Dockerfile')).flatMap(
      (stage) => stage.instructions,
    )) {
      if (keyword !== 'COPY' || args.includes('--from=')) continue
      for (const source of args.split(/\s+/).slice(0, -1)) {
        const files = statSync(ROOT + source).isDirectory()
          ? readdirSync(ROOT + source, { recursive: true, encoding: 'utf8' }).map(
              (file) => `${source}/${file}`,
            )
          : [source]
        assert.ok(
          files.some((file) => !ignored(file)),
          `Dockerfile: COPY ${source}: left out by .dockerignore`,
        )
        sent.push(...files.filter((file) => !ignored(file)))
      }
    }
    for (const { entry } of services) assert.ok(sent.includes(entry), entry)
    for (const file of [
      'packages/tracks/data/LICENSE',
      'packages/tracks/data/README.md',
      'tsconfig.base.json',
      'scripts/bundle.ts',
    ])
      assert.ok(sent.includes(file), file)
  })
})

describe('compose.yaml', () => {
  const PASSWORD = 'compose-test-password'

  test('is valid (docker-compose config)', () => {
    const result = dockerCompose(['-f', `${ROOT}compose.yaml`, 'config', '-q'], {
      CONVOY_ADMIN_PASSWORD: PASSWORD,
    })
    assert.equal(result.status, 0, result.stderr)
  })

  test("requires the first admin's password", () => {
    const result = dockerCompose(['-f', `${ROOT}compose.yaml`, 'config', '-q'], {})
    assert.notEqual(result.status, 0)
    assert.match(result.stderr, /CONVOY_ADMIN_PASSWORD/)
  })

  const compose = () => composeConfig(`${ROOT}compose.yaml`, { CONVOY_ADMIN_PASSWORD: PASSWORD })

  test('runs every service of services/ from the Dockerfile, built from the repository root as SERVICE', () => {
    const running = compose()
    for (const service of services) {
      const built = running[service.name]?.build
      assert.ok(built, `${service.name} is not built in compose.yaml`)
      assert.equal(resolve(ROOT, built.context), resolve(ROOT))
      assert.equal(built.dockerfile ?? 'Dockerfile', 'Dockerfile')
      assert.deepEqual(built.args, { SERVICE: service.name })
      assert.equal(built.target, runsFfmpeg(service) ? 'service-ffmpeg' : undefined, service.name)
    }
    assert.deepEqual(
      services.filter(runsFfmpeg).map((s) => s.name),
      ['converter', 'media'],
    )
  })

  test('wires the services by name and port, as the stack launcher does by loopback port', () => {
    const running = compose()
    const ports = new Map(services.map(({ name, port }) => [name, port]))
    assert.equal(running.auth?.environment.CONVOY_ADMIN_PASSWORD, PASSWORD)
    for (const { name, config, port, opsPort } of services) {
      const environment = running[name]?.environment ?? {}
      assert.equal(environment.PORT, port === undefined ? undefined : String(port), `${name}: PORT`)
      // The healthcheck reads it: /readyz is on the ops port.
      assert.equal(environment.OPS_PORT, String(opsPort), `${name}: OPS_PORT`)
      // A default URL on loopback would have the container call itself.
      for (const [variable, { default: value }] of Object.entries(config))
        if (/^\w+:\/\/([^@/]*@)?(127\.0\.0\.1|localhost)[:/]/.test(String(value)))
          assert.ok(
            environment[variable],
            `${name}: ${variable} is not set (its default is ${String(value)})`,
          )
      // Every URL the service calls names a compose service; PUBLIC_URL is the address people open
      // (the published gateway), TILE_URL where their browsers fetch map tiles, and a file: URL is
      // a folder of the container.
      const called = Object.entries(environment).filter(
        ([key, value]) =>
          key.endsWith('_URL') && !['PUBLIC_URL', 'TILE_URL'].includes(key) && !value.startsWith('file:'),
      )
      for (const [variable, value] of called) {
        const url = new URL(value)
        assert.ok(running[url.hostname], `${name}: ${variable} names ${url.hostname}, not a compose service`)
        if (ports.has(url.hostname))
          assert.equal(Number(url.port), ports.get(url.hostname), `${name}: ${variable}`)
      }
    }
  })

  test("takes the map tiles from the host's TILE_URL and TILE_ATTRIBUTION: unset there, web's defaults; empty, no tiles", () => {
    const web = (env: Record<string, string>) =>
      composeConfig(`${ROOT}compose.yaml`, { CONVOY_ADMIN_PASSWORD: PASSWORD, ...env }).web?.environment ?? {}
    const unset = web({})
    assert.ok(!('TILE_URL' in unset) && !('TILE_ATTRIBUTION' in unset), JSON.stringify(unset))
    assert.equal(web({ TILE_URL: '' }).TILE_URL, '')
    const chosen = web({
      TILE_URL: 'https://{s}.tiles.example.net/{z}/{x}/{y}.png',
      TILE_ATTRIBUTION: '© Example',
    })
    assert.deepEqual(
      [chosen.TILE_URL, chosen.TILE_ATTRIBUTION],
      ['https://{s}.tiles.example.net/{z}/{x}/{y}.png', '© Example'],
    )
  })

  test('starts each service once what it needs is healthy, and stops it gently', () => {
    const running = compose()
    for (const [name, service] of Object.entries(running)) {
      assert.ok(service.healthcheck, `${name}: no healthcheck`)
      for (const [dependency, { condition }] of Object.entries(service.depends_on))
        assert.equal(condition, 'service_healthy', `${name} → ${dependency}`)
      if (!service.build) assert.ok(isPinned(service.image ?? ''), `${name}: ${service.image} is not pinned`)
    }
    for (const { name } of services) {
      const grace = /^(\d+)s$/.exec(String(running[name]?.stop_grace_period))?.[1]
      assert.ok(Number(grace) >= 25, `${name}: stop_grace_period under the services' 25 s shutdown`)
    }
  })

  test('publishes the gateway on 8080, the RabbitMQ and Mailpit UIs on 15672 and 8025; keeps data in volumes', () => {
    const running = compose()
    assert.deepEqual(running.gateway?.published, [8080])
    // Nothing else is published: the databases, the broker's AMQP port and the services stay inside.
    assert.deepEqual(
      Object.entries(running)
        .filter(([, service]) => service.published.length > 0)
        .map(([name, service]) => `${name}:${service.published.join(',')}`)
        .sort(),
      ['gateway:8080', 'mailpit:8025', 'queue:15672'],
    )
    const brokers = Object.values(running).filter((service) => service.image?.startsWith('rabbitmq:'))
    assert.equal(brokers.length, 1)
    assert.match(brokers[0]?.image ?? '', /-management/)
    assert.deepEqual(brokers[0]?.published, [15672])
    for (const [name, service] of Object.entries(running))
      if (/^(postgres|rabbitmq):/.test(service.image ?? ''))
        assert.ok(service.volumes.length > 0, `${name}: no named volume for its data`)
    // media's blob store is a folder on a named volume, where BLOB_STORE_URL points.
    const blobs = running.media?.environment.BLOB_STORE_URL ?? ''
    assert.match(blobs, /^file:\/\/\//)
    assert.ok(running.media?.volumes.length, 'media: no named volume for its blobs')
  })

  test('sends the emails to the mail catcher, over plain SMTP on its own network', () => {
    const running = compose()
    const environment = running.notification?.environment ?? {}
    assert.ok(
      running[environment.SMTP_HOST ?? ''],
      `SMTP_HOST ${environment.SMTP_HOST}: not a compose service`,
    )
    assert.match(running[environment.SMTP_HOST ?? '']?.image ?? '', /^axllent\/mailpit:/)
    assert.equal(environment.SMTP_PORT, '1025')
    assert.equal(environment.SMTP_TLS, 'none')
    assert.equal(environment.OUTBOX_DIR, '', 'containers send by SMTP, not to an outbox folder')
  })
})
