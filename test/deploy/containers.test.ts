/**
 * The container images and the compose stack, checked offline (images are never built here): every
 * service has a Dockerfile that the linter accepts and that keeps the project's rules
 * (docs/deploy.md#containers), the build context leaves out what must never reach an image, and
 * compose.yaml is valid and runs every service of services/, wired like the stack launcher.
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

/** The workspace packages a package needs at run time, its own dependencies' included. */
function runtimeWorkspaces(name: string, seen = new Set<string>()): Set<string> {
  for (const dependency of Object.keys(workspaces.get(name)?.manifest.dependencies ?? {}))
    if (workspaces.has(dependency) && !seen.has(dependency))
      runtimeWorkspaces(dependency, seen.add(dependency))
  return seen
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

for (const service of services) {
  describe(`services/${service.name}/Dockerfile`, () => {
    const path = `${service.folder}/Dockerfile`
    const text = existsSync(ROOT + path) ? read(path) : ''
    const final = parseDockerfile(text).at(-1)
    const args = (keyword: string) =>
      final?.instructions.filter((i) => i.keyword === keyword).map((i) => i.args) ?? []

    test('exists and passes the linter', () => {
      assert.ok(text, `${path} is missing: copy another service's Dockerfile (docs/deploy.md#containers)`)
      assert.deepEqual(lintDockerfile(text), [])
    })

    test("keeps the project's image rules", () => {
      assert.deepEqual(checkDockerfile(text), [])
    })

    test("runs the project's Node version", () => {
      const bases = parseDockerfile(text).map((stage) => stage.base)
      for (const base of bases.filter((base) => base.startsWith('node:')))
        assert.ok(base.startsWith(`node:${NODE_VERSION}-`), `${base}: the project pins Node ${NODE_VERSION}`)
    })

    const ports = [service.port, service.opsPort].filter((port) => port !== undefined)
    test(`starts ${service.entry} with node as PID 1 and exposes port ${ports.join(' and ')}`, () => {
      assert.deepEqual(execForm(args('CMD').at(-1) ?? ''), ['node', service.entry])
      assert.deepEqual(args('ENTRYPOINT'), [])
      assert.deepEqual(args('EXPOSE').join(' ').split(/\s+/), ports.map(String), `EXPOSE ${ports.join(' ')}`)
    })

    test('installs only its own production dependencies, and ships the workspace packages it needs', () => {
      assert.match(text, new RegExp(`npm ci --omit=dev --workspace=${service.manifest.name}( |$)`, 'm'))
      const needed = [...runtimeWorkspaces(service.manifest.name)].map((name) => workspaces.get(name)!.folder)
      for (const folder of needed) assert.ok(text.includes(`COPY ${folder}/package.json ${folder}/`), folder)
      const copied = args('COPY')
        .filter((copy) => !copy.startsWith('--'))
        .map((copy) => copy.split(/\s+/)[0] ?? '')
      assert.deepEqual(
        copied.filter((source) => source.startsWith('packages/')).sort(),
        needed.filter((folder) => folder.startsWith('packages/')).sort(),
      )
      const own = (source: string) => source === service.folder || source.startsWith(`${service.folder}/`)
      assert.ok(copied.some(own), `nothing of ${service.folder} is copied`)
      assert.deepEqual(
        copied.filter((source) => source.startsWith('services/') && !own(source)),
        [],
      )
    })
  })
}

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

  test('lets in everything the Dockerfiles copy from the context', () => {
    const sent: string[] = []
    for (const { folder } of services) {
      const stages = parseDockerfile(read(`${folder}/Dockerfile`))
      for (const { keyword, args } of stages.flatMap((stage) => stage.instructions)) {
        if (keyword !== 'COPY' || args.includes('--from=')) continue
        for (const source of args.split(/\s+/).slice(0, -1)) {
          const files = statSync(ROOT + source).isDirectory()
            ? readdirSync(ROOT + source, { recursive: true, encoding: 'utf8' }).map(
                (file) => `${source}/${file}`,
              )
            : [source]
          assert.ok(
            files.some((file) => !ignored(file)),
            `${folder}/Dockerfile: COPY ${source}: left out by .dockerignore`,
          )
          sent.push(...files.filter((file) => !ignored(file)))
        }
      }
    }
    for (const { entry } of services) assert.ok(sent.includes(entry), entry)
    for (const file of [
      'packages/tracks/data/LICENSE',
      'packages/tracks/data/README.md',
      'tsconfig.base.json',
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

  test('runs every service of services/ from its own Dockerfile, built from the repository root', () => {
    const running = compose()
    for (const { name, folder } of services) {
      const service = running[name]
      assert.ok(service, `${name} is not in compose.yaml`)
      assert.equal(resolve(ROOT, service.build?.context ?? '-'), resolve(ROOT))
      assert.equal(service.build?.dockerfile, `${folder}/Dockerfile`)
    }
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
      // (the published gateway), and a file: URL is a folder of the container.
      const called = Object.entries(environment).filter(
        ([key, value]) => key.endsWith('_URL') && key !== 'PUBLIC_URL' && !value.startsWith('file:'),
      )
      for (const [variable, value] of called) {
        const url = new URL(value)
        assert.ok(running[url.hostname], `${name}: ${variable} names ${url.hostname}, not a compose service`)
        if (ports.has(url.hostname))
          assert.equal(Number(url.port), ports.get(url.hostname), `${name}: ${variable}`)
      }
    }
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
