/**
 * The CI/CD workflows (.github/workflows) and Dependabot's configuration, checked offline — nothing
 * here reaches GitHub or AWS: every workflow passes actionlint and shellcheck and keeps the
 * project's rules (pinned actions, least privilege, OIDC only, concurrency, the pinned Node);
 * the images matrix holds exactly the services of services/ with their Dockerfile stage; deploy
 * sets the images by digest in the aws overlay, waits for every workload the overlay renders, runs
 * the smoke test and rolls back on failure. Each rule is also shown to catch its mistake.
 */
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { composeConfig } from './compose.ts'
import { parseDockerfile } from './dockerfile.ts'
import { build, workloads } from './k8s-checks.ts'
import {
  actionlint,
  deployProblems,
  imagesProblems,
  parseWorkflow,
  permissionProblems,
  pinningProblems,
  runProblems,
  shellcheck,
  shellcheckFile,
  type ImageService,
} from './workflow-checks.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const WORKFLOWS = path.join(ROOT, '.github/workflows')
const workflowFiles = readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file))
const workflow = (file: string) => parseWorkflow(read(`.github/workflows/${file}`))
const NODE_VERSION = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> })
  .devDependencies.node!
const AWS_OVERLAY = 'deploy/k8s/overlays/aws'

/**
 * The services with an image, and the Dockerfile stage each is built from, as compose.yaml builds
 * them: the one place that says it (containers.test.ts checks compose.yaml against services/ and
 * against which services run ffmpeg). The images workflow must build the same.
 */
const SERVICES: ImageService[] = Object.entries(
  composeConfig(path.join(ROOT, 'compose.yaml'), { CONVOY_ADMIN_PASSWORD: 'only read for the builds' }),
).flatMap(([name, service]) => (service.build ? [{ name, target: service.build.target ?? 'service' }] : []))

test('there are workflows ci, images and deploy, and image services, two of them with ffmpeg', () => {
  for (const file of ['ci.yml', 'images.yml', 'deploy.yml']) assert.ok(workflowFiles.includes(file), file)
  assert.ok(SERVICES.length >= 8, SERVICES.map((s) => s.name).join())
  assert.deepEqual(
    SERVICES.filter((s) => s.target === 'service-ffmpeg').map((s) => s.name),
    ['converter', 'media'],
  )
})

for (const file of workflowFiles) {
  describe(`.github/workflows/${file}`, () => {
    const text = read(`.github/workflows/${file}`)

    test('passes actionlint', async () => {
      assert.deepEqual(await actionlint(text, file), [])
    })

    test('its run: scripts pass shellcheck', () => {
      assert.deepEqual(shellcheck(parseWorkflow(text)), [])
    })

    test('pins every action to a commit, with its release in a comment', () => {
      assert.deepEqual(pinningProblems(text), [])
    })

    test('has least-privilege permissions and reaches AWS by OIDC only', () => {
      assert.deepEqual(permissionProblems(text), [])
    })

    test(`has a concurrency group and runs Node ${NODE_VERSION}`, () => {
      assert.deepEqual(runProblems(text, NODE_VERSION), [])
    })
  })
}

test('the scripts under .ci/ that the ci workflow runs pass shellcheck', () => {
  for (const script of ['.ci/run', '.ci/setup-debian'])
    assert.deepEqual(shellcheckFile(path.join(ROOT, script)), [], script)
})

test('an action is pinned to the same commit in every workflow', () => {
  const pins = new Map<string, Set<string>>()
  for (const file of workflowFiles)
    for (const [, action, sha] of read(`.github/workflows/${file}`).matchAll(/uses:\s*([^@\s]+)@(\S+)/g))
      pins.set(action!, (pins.get(action!) ?? new Set()).add(sha!))
  assert.deepEqual(
    [...pins].filter(([, shas]) => shas.size > 1).map(([action]) => action),
    [],
  )
})

describe('the images workflow', () => {
  const images = workflow('images.yml')

  test('builds every service, each from its stage, for both platforms, pushed, scanned and attested', () => {
    assert.deepEqual(imagesProblems(images, SERVICES), [])
  })

  test('names the ECR repositories the aws overlay takes its images from', () => {
    const overlay = parse(read(`${AWS_OVERLAY}/kustomization.yaml`)) as {
      images: Array<{ name: string; newName?: string }>
    }
    for (const { name } of SERVICES) {
      const image = overlay.images.find((entry) => entry.name === `convoy/${name}`)
      assert.ok(image, `${AWS_OVERLAY} has no image convoy/${name}`)
      assert.match(
        image.newName ?? '',
        new RegExp(`\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/convoy/${name}$`),
      )
    }
  })

  test('the root Dockerfile has the stages the matrix builds, service last', () => {
    const stages = parseDockerfile(read('Dockerfile')).map((stage) => stage.name)
    assert.equal(stages.at(-1), 'service', 'the default (last) stage is service')
    for (const { target } of SERVICES) assert.ok(stages.includes(target), target)
  })
})

describe('the deploy workflow', () => {
  const deploy = workflow('deploy.yml')
  /** Every Deployment and StatefulSet the aws overlay renders, as namespace/kind/name. */
  let rendered: string[]
  before(() => {
    rendered = workloads(build(path.join(ROOT, AWS_OVERLAY))).map(
      ({ object }) => `${object.metadata.namespace}/${object.kind.toLowerCase()}/${object.metadata.name}`,
    )
  })

  test('follows a release tag, in production, sets digests, waits for every rollout, smoke-tests, rolls back', () => {
    assert.ok(rendered.length > SERVICES.length, rendered.join())
    assert.deepEqual(
      deployProblems(deploy, {
        imagesWorkflow: workflow('images.yml').name!,
        workloads: rendered,
        services: SERVICES.map((s) => s.name),
        overlay: AWS_OVERLAY,
      }),
      [],
    )
  })

  describe('setting the images by digest in a copy of the aws overlay', () => {
    let dir: string
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'convoy-deploy-'))
      cpSync(path.join(ROOT, 'deploy/k8s'), dir, { recursive: true })
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    test('runs every Convoy container from its ECR image by digest', () => {
      // What `kustomize edit set image convoy/<s>=<registry>/convoy/<s>@<digest>` writes: the
      // whole entry of that name replaced (newName and digest; the tag goes).
      const registry = '210987654321.dkr.ecr.eu-central-1.amazonaws.com'
      const digest = (service: string) =>
        `sha256:${Buffer.from(service).toString('hex').padEnd(64, '0').slice(0, 64)}`
      const file = path.join(dir, 'overlays/aws/kustomization.yaml')
      const kustomization = parse(readFileSync(file, 'utf8')) as { images: Array<Record<string, string>> }
      for (const { name } of SERVICES) {
        kustomization.images = kustomization.images.filter((image) => image.name !== `convoy/${name}`)
        kustomization.images.push({
          name: `convoy/${name}`,
          newName: `${registry}/convoy/${name}`,
          digest: digest(name),
        })
      }
      writeFileSync(file, stringify(kustomization))
      const containers = workloads(build(path.join(dir, 'overlays/aws'))).flatMap(({ pod }) =>
        [...pod.containers, ...(pod.initContainers ?? [])].map((container) => container.image ?? ''),
      )
      const convoy = containers.filter((image) => image.includes('convoy/'))
      assert.deepEqual(
        [...new Set(convoy)].sort(),
        SERVICES.map(({ name }) => `${registry}/convoy/${name}@${digest(name)}`).sort(),
      )
    })
  })
})

test("Dependabot keeps npm's packages, the actions and the root Dockerfile's base current", () => {
  const config = parse(read('.github/dependabot.yml')) as {
    version: number
    updates: Array<{ 'package-ecosystem': string; directory: string }>
  }
  assert.equal(config.version, 2)
  assert.deepEqual(
    config.updates.map((update) => `${update['package-ecosystem']} ${update.directory}`).sort(),
    ['docker /', 'github-actions /', 'npm /'],
  )
})

/** A workflow that keeps every rule; the tests below seed one mistake each into a copy. */
const GOOD = `name: good
on:
  push:
    branches: [main]
permissions: {}
concurrency:
  group: good-\${{ github.ref }}
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: \${{ vars.AWS_ROLE_ARN }}
          aws-region: \${{ vars.AWS_REGION }}
      - uses: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0
        with:
          node-version: ${NODE_VERSION}
      - name: Greet
        env:
          WHO: \${{ github.actor }}
        run: echo "hello $WHO"
`

/** GOOD with one change; fails if `from` is not in it, so a mistake is never silently not seeded. */
function mistake(from: string | RegExp, to: string, base = GOOD): string {
  const changed = base.replace(from, to)
  assert.notEqual(changed, base, `seed not applied: ${String(from)}`)
  return changed
}

describe('the workflow rules', () => {
  test('a workflow that keeps them passes every check', async () => {
    assert.deepEqual(await actionlint(GOOD, 'good.yml'), [])
    assert.deepEqual(shellcheck(parseWorkflow(GOOD)), [])
    assert.deepEqual(pinningProblems(GOOD), [])
    assert.deepEqual(permissionProblems(GOOD), [])
    assert.deepEqual(runProblems(GOOD, NODE_VERSION), [])
  })

  test('actionlint: an undefined step output, untrusted input in a script, an unknown permission', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        mistake('run: echo "hello $WHO"', 'run: echo "${{ steps.nope.outputs.x }}"'),
        /property "nope" is not defined/,
      ],
      [
        mistake('run: echo "hello $WHO"', 'run: echo "${{ github.event.head_commit.message }}"'),
        /potentially untrusted/,
      ],
      [
        mistake('id-token: write', 'id-token: write\n      artifact-metadata: write'),
        /unknown permission scope/,
      ],
    ]
    for (const [text, expected] of cases)
      assert.match((await actionlint(text, 'bad.yml')).join('\n'), expected)
  })

  test('shellcheck: an unquoted variable', () => {
    assert.match(shellcheck(parseWorkflow(mistake('"hello $WHO"', 'hello $WHO'))).join('\n'), /SC2086/)
  })

  test('pinning: a tag, a branch, a short SHA, a SHA without its release', () => {
    const cases: Array<[string, RegExp]> = [
      [mistake(/checkout@\S+ # v7.0.1/, 'checkout@v7'), /actions\/checkout@v7 is not pinned/],
      [mistake(/checkout@\S+ # v7.0.1/, 'checkout@main'), /is not pinned/],
      [mistake(/checkout@\S+ # v7.0.1/, 'checkout@3d3c42e'), /is not pinned/],
      [mistake(' # v7.0.1', ''), /no "# vX.Y.Z" comment/],
      [
        mistake(
          '- uses: actions/checkout',
          '- { uses: actions/checkout@v7 }\n      - uses: actions/checkout',
        ),
        /found 3 times/,
      ],
    ]
    for (const [text, expected] of cases) assert.match(pinningProblems(text).join('\n'), expected)
  })

  test('permissions: none, write at the top, write-all, a write nothing needs, OIDC without id-token', () => {
    const cases: Array<[string, RegExp]> = [
      [mistake('permissions: {}\n', ''), /no top-level permissions/],
      [
        mistake('permissions: {}', 'permissions:\n  contents: write'),
        /top-level permissions: contents: write/,
      ],
      [
        mistake('permissions:\n      contents: read\n      id-token: write', 'permissions: write-all'),
        /write-all: name each scope/,
      ],
      [
        mistake('id-token: write', 'id-token: write\n      packages: write'),
        /packages: write, which no check/,
      ],
      [mistake(/ {6}- uses: aws-actions[^]*?REGION }}\n/, ''), /id-token: write, but it uses no/],
      [mistake('      id-token: write\n', ''), /assumes an AWS role without id-token: write/],
      [
        mistake('${{ vars.AWS_ROLE_ARN }}', 'arn:aws:iam::123456789012:role/ci'),
        /role-to-assume should come from a repository variable/,
      ],
    ]
    for (const [text, expected] of cases) assert.match(permissionProblems(text).join('\n'), expected)
  })

  test('OIDC only: an access key, as an input or in the environment', () => {
    for (const seeded of [
      mistake('aws-region:', 'aws-access-key-id: ${{ secrets.KEY_ID }}\n          aws-region:'),
      mistake('WHO:', 'AWS_SECRET_ACCESS_KEY: ${{ secrets.KEY }}\n          WHO:'),
      mistake('WHO: ${{ github.actor }}', 'WHO: AKIAIOSFODNN7EXAMPLE'),
    ])
      assert.match(permissionProblems(seeded).join('\n'), /AWS is reached by OIDC only/)
  })

  test("no concurrency group; another Node than the project's", () => {
    assert.match(runProblems(mistake(/concurrency:\n.*\n/, ''), NODE_VERSION).join(), /no concurrency group/)
    assert.match(
      runProblems(mistake(`node-version: ${NODE_VERSION}`, 'node-version: 22'), NODE_VERSION).join(),
      /setup-node 22/,
    )
    const container = mistake('    steps:', `    container: node:22.1.0-bookworm\n    steps:`)
    assert.match(runProblems(container, NODE_VERSION).join(), /node:22.1.0-bookworm: the project pins Node/)
  })
})

describe('the images and deploy rules', () => {
  const imagesText = read('.github/workflows/images.yml')
  const deployText = read('.github/workflows/deploy.yml')
  const imagesOf = (text: string) => imagesProblems(parseWorkflow(text), SERVICES).join('\n')
  const realWorkloads = words(workflow('deploy.yml').jobs.deploy?.env?.WORKLOADS)
  const deployOf = (text: string) =>
    deployProblems(parseWorkflow(text), {
      imagesWorkflow: 'images',
      workloads: realWorkloads,
      services: SERVICES.map((s) => s.name),
      overlay: AWS_OVERLAY,
    }).join('\n')

  test('images: a service missing or twice, a wrong or missing stage, one platform, a shared cache, no scan', () => {
    const cases: Array<[string, RegExp]> = [
      [mistake(/ {10}- \{ service: web, target: service \}\n/, '', imagesText), /web missing/],
      [mistake('service: web,', 'service: gateway,', imagesText), /gateway twice/],
      [
        mistake('service: media, target: service-ffmpeg', 'service: media, target: service', imagesText),
        /media: target service, not service-ffmpeg/,
      ],
      [mistake('service: auth, target: service', 'service: auth', imagesText), /auth: no target/],
      [mistake('linux/amd64,linux/arm64', 'linux/amd64', imagesText), /linux\/amd64 and linux\/arm64/],
      [
        mistake('cache-from: type=gha,scope=${{ matrix.service }}', 'cache-from: type=gha', imagesText),
        /cache-from/,
      ],
      [mistake('severity: CRITICAL', 'severity: HIGH', imagesText), /fails on CRITICAL/],
      [mistake("tags: ['release*']", "tags: ['v*']", imagesText), /release tag/],
    ]
    for (const [text, expected] of cases) assert.match(imagesOf(text), expected)
  })

  test('deploy: a workload not waited for, no environment, no rollback or one not on failure(), any images run', () => {
    const cases: Array<[string, RegExp]> = [
      [
        mistake(/ {8}gateway\/deployment\/gateway-valkey\n/, '', deployText),
        /WORKLOADS: gateway\/deployment\/gateway-valkey missing/,
      ],
      [
        mistake(/ {8}queue\/statefulset\/queue\n/, '', deployText),
        /WORKLOADS: queue\/statefulset\/queue missing/,
      ],
      [mistake(/ {4}environment:\n.*\n.*\n/, '', deployText), /not in the environment production/],
      [
        mistake(/kubectl -n "\$namespace" rollout undo/, 'echo', deployText),
        /no step runs kubectl rollout undo/,
      ],
      [
        mistake(/if: \(failure\(\) \|\| cancelled\(\)\) && /, 'if: ', deployText),
        /no step runs kubectl rollout undo if: failure\(\)/,
      ],
      [
        mistake("startsWith(github.event.workflow_run.head_branch, 'release')", 'true', deployText),
        /not a release tag's/,
      ],
      [mistake('workflows: [images]', 'workflows: [ci]', deployText), /not started by a release tag/],
      [mistake('run: node scripts/smoke.ts', 'run: echo skipped', deployText), /no smoke test/],
      [
        mistake(/kubectl apply -k "\$OVERLAY"/, 'kubectl apply -k deploy/k8s/overlays/local', deployText),
        /no step applies the overlay/,
      ],
    ]
    for (const [text, expected] of cases) assert.match(deployOf(text), expected)
  })
})

function words(value: string | undefined) {
  return (value ?? '').split(/\s+/).filter(Boolean)
}
