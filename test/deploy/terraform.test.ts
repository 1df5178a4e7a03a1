/**
 * The AWS side (deploy/terraform), proved offline: every root module is formatted, initialises from
 * the pinned provider and validates; its `terraform test` suites pass against a mock AWS provider
 * (tests/*.tftest.hcl: what each resource must be); the add-ons are created in the order they need;
 * and the names Terraform creates agree with the ones the Kubernetes manifests and the workflows
 * use. That last check is a test suite written here, from the rendered aws overlay and the
 * workflows, and run by Terraform against its own resources: so both sides are read by their own
 * tools.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build, workloads, type K8sObject } from './k8s-checks.ts'
import { hcl, terraformCopy, type Terraform } from './terraform.ts'
import { parseWorkflow } from './workflow-checks.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TERRAFORM = path.join(ROOT, 'deploy/terraform')
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
/** The root modules: the AWS side, and the bucket its state lives in. */
const ROOT_MODULES = ['.', 'state']

function missingTerraform(): string | undefined {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'terraform is not installed: the AWS side cannot be checked (docs/aws.md says which version)'
  }
}

let terraform: Terraform
before(() => {
  const missing = missingTerraform()
  if (missing) throw new Error(missing)
  terraform = terraformCopy(TERRAFORM)
})
after(() => terraform?.close())

/** `terraform init` of a root module in the copy, once however many suites need it. */
const inits = new Map<string, Promise<void>>()
function initialised(module: string): Promise<void> {
  if (!inits.has(module))
    inits.set(
      module,
      terraform.run(module, ['init', '-backend=false', '-no-color']).then(({ code, output }) => {
        assert.equal(code, 0, output)
      }),
    )
  return inits.get(module)!
}

/** `terraform test`'s last line: "Success! 36 passed, 0 failed." */
function testSummary(output: string) {
  const match = /(Success|Failure)! (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\./.exec(output)
  assert.ok(match, output)
  return { passed: Number(match[2]), failed: Number(match[3]), skipped: Number(match[4] ?? 0) }
}

test('every file is formatted as terraform fmt writes it', async () => {
  const { code, output } = await terraform.run('.', ['fmt', '-check', '-recursive', '-diff', '-no-color'])
  assert.equal(code, 0, output)
})

for (const module of ROOT_MODULES) {
  describe(`the root module deploy/terraform/${module === '.' ? '' : module}`, () => {
    before(() => initialised(module))

    test('validates', async () => {
      const { code, output } = await terraform.run(module, ['validate', '-no-color'])
      assert.equal(code, 0, output)
    })

    // About 70 s on two idle cores (every run plans the module against the mock); more than the
    // suite's 120 s per test when the machine is busy with other work.
    test('passes its tests against a mock AWS provider, skipping none', { timeout: 5 * 60_000 }, async () => {
      const { code, output } = await terraform.run(module, ['test', '-no-color'])
      const summary = testSummary(output)
      assert.equal(code, 0, output)
      assert.equal(summary.failed, 0, output)
      assert.equal(summary.skipped, 0, output)
      assert.ok(summary.passed > 0, output)
    })
  })
}

test('the state is kept in S3, locked, by a partial backend configuration: nothing account-specific committed', () => {
  const versions = read('deploy/terraform/versions.tf')
  assert.match(versions, /^\s*backend "s3" \{\}$/m)
  const example = read('deploy/terraform/backend.hcl.example')
  for (const setting of [
    /^bucket\s*=/m,
    /^key\s*=/m,
    /^region\s*=/m,
    /^encrypt\s*=\s*true$/m,
    /^use_lockfile\s*=\s*true$/m,
  ])
    assert.match(example, setting)
  const ignored = execFileSync(
    'git',
    ['check-ignore', '--no-index', 'deploy/terraform/backend.hcl', 'deploy/terraform/terraform.tfvars'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
  assert.deepEqual(ignored.trim().split('\n'), [
    'deploy/terraform/backend.hcl',
    'deploy/terraform/terraform.tfvars',
  ])
})

/** `terraform graph`'s edges (from → to: from depends on to), over a local backend. */
async function dependencies(): Promise<Map<string, Set<string>>> {
  writeFileSync(path.join(terraform.dir, 'backend_override.tf'), 'terraform {\n  backend "local" {}\n}\n')
  const init = await terraform.run('.', ['init', '-reconfigure', '-no-color'])
  assert.equal(init.code, 0, init.output)
  const { code, output } = await terraform.run('.', ['graph'])
  assert.equal(code, 0, output)
  const edges = new Map<string, Set<string>>()
  for (const [, from, to] of output.matchAll(/"([^"]+)" -> "([^"]+)"/g))
    edges.set(from!, (edges.get(from!) ?? new Set()).add(to!))
  return edges
}

describe('the order of creation', () => {
  let edges: Map<string, Set<string>>
  before(async () => {
    edges = await dependencies()
  })
  const dependsOn = (from: string, to: string, seen = new Set<string>()): boolean =>
    [...(edges.get(from) ?? [])].some(
      (next) => next === to || (!seen.has(next) && seen.add(next) && dependsOn(next, to, seen)),
    )

  test('networking and the Pod Identity Agent come before the first node', () => {
    assert.ok(dependsOn('aws_eks_node_group.base', 'aws_eks_addon.before_nodes'))
  })

  test('the EBS CSI driver comes after the Pod Identity Agent (its association needs it) and a node', () => {
    assert.ok(dependsOn('aws_eks_addon.ebs_csi_driver', 'aws_eks_addon.before_nodes'))
    assert.ok(dependsOn('aws_eks_addon.ebs_csi_driver', 'aws_eks_node_group.base'))
  })

  test('CoreDNS and metrics-server come after a node', () => {
    assert.ok(dependsOn('aws_eks_addon.after_nodes', 'aws_eks_node_group.base'))
  })

  test('the cluster waits for its role, its key and its log group', () => {
    for (const to of [
      'aws_iam_role_policy_attachment.cluster',
      'aws_iam_role_policy.cluster_kms',
      'aws_cloudwatch_log_group.cluster',
    ])
      assert.ok(dependsOn('aws_eks_cluster.this', to), to)
  })

  test('the graph is read: a dependency that does not exist is not found', () => {
    assert.ok(!dependsOn('aws_eks_addon.before_nodes', 'aws_eks_node_group.base'))
  })
})

/** What the aws overlay and the workflows say of the AWS side. */
interface Contract {
  namespaces: string[]
  ecrRegistry: string
  ecrRepositories: string[]
  serviceAccounts: string[]
  /** namespace/serviceAccount of the workloads that call AWS (media, for S3). */
  awsCallers: string[]
  bucket: string
  bucketPrefix: string
  bucketRegion: string
  secretsRead: Record<string, string[]>
  storageProvisioners: string[]
  loadBalancerCidrs: string[]
  secretStoreRegion: string
  secretStoreNamespaces: string[]
  sesRegion: string
  simulator: { namespace: string; labels: Record<string, string>; serviceAccount: string; volumes: number }
  workflowServices: string[]
  deployEnvironment: string
  workflowRepositoryPrefixes: string[]
}

const field = <T>(object: K8sObject, key: string) => object[key] as T

function contract(): Contract {
  const objects = build(path.join(ROOT, 'deploy/k8s/overlays/aws'))
  const of = (kind: string) => objects.filter((o) => o.kind === kind)
  const pods = workloads(objects)
  const images = pods
    .flatMap((w) => w.pod.containers.flatMap((c) => (c.image ? [c.image] : [])))
    .filter((image) => image.includes('/convoy/'))
  const configMaps = of('ConfigMap').map((o) => ({ o, data: field<Record<string, string>>(o, 'data') ?? {} }))

  const s3Maps = configMaps.filter(({ data }) => data.BLOB_STORE_URL?.startsWith('s3://'))
  const blobStore = new URL(s3Maps[0]!.data.BLOB_STORE_URL!)
  const awsCallers = s3Maps.map(({ o }) => {
    const workload = pods.find((w) => w.namespace === o.metadata.namespace)!
    return `${workload.namespace}/${workload.pod.serviceAccountName ?? 'default'}`
  })

  const secretsRead: Record<string, string[]> = {}
  for (const external of of('ExternalSecret'))
    for (const { remoteRef } of field<{ data: { remoteRef: { key: string; property: string } }[] }>(
      external,
      'spec',
    ).data)
      secretsRead[remoteRef.key] = [
        ...new Set([...(secretsRead[remoteRef.key] ?? []), remoteRef.property]),
      ].sort()

  const store = field<{ provider: { aws: { region: string } }; conditions: { namespaces: string[] }[] }>(
    of('ClusterSecretStore')[0]!,
    'spec',
  )
  const policyCidrs = of('NetworkPolicy')
    .filter((o) => o.metadata.name === 'gateway-from-load-balancer')
    .flatMap((o) =>
      field<{ ingress: { from: { ipBlock?: { cidr: string } }[] }[] }>(o, 'spec').ingress.flatMap((rule) =>
        rule.from.flatMap((peer) => (peer.ipBlock ? [peer.ipBlock.cidr] : [])),
      ),
    )
  const trustProxy = configMaps.flatMap(({ o, data }) =>
    o.metadata.namespace === 'gateway' && data.TRUST_PROXY ? [data.TRUST_PROXY] : [],
  )
  const smtpHost = configMaps.flatMap(({ data }) => (data.SMTP_HOST ? [data.SMTP_HOST] : []))[0]!
  const simulator = pods.find((w) => w.namespace === 'position-simulator')!

  const deploy = parseWorkflow(read('.github/workflows/deploy.yml'))
  const deployJob = Object.values(deploy.jobs)[0]!
  const images_ = parseWorkflow(read('.github/workflows/images.yml'))
  const imagesJob = Object.values(images_.jobs)[0]!

  return {
    namespaces: of('Namespace').map((o) => o.metadata.name),
    ecrRegistry: [...new Set(images.map((image) => image.split('/')[0]!))].join(),
    ecrRepositories: [
      ...new Set(images.map((image) => image.replace(/^[^/]+\//, '').replace(/[:@].*$/, ''))),
    ],
    serviceAccounts: of('ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    awsCallers,
    bucket: blobStore.hostname,
    bucketPrefix: blobStore.pathname.replace(/^\/|\/$/g, ''),
    bucketRegion: blobStore.searchParams.get('region')!,
    secretsRead,
    storageProvisioners: [...new Set(of('StorageClass').map((o) => field<string>(o, 'provisioner')))],
    loadBalancerCidrs: [...new Set([...policyCidrs, ...trustProxy])],
    secretStoreRegion: store.provider.aws.region,
    secretStoreNamespaces: store.conditions.flatMap((c) => c.namespaces),
    sesRegion: /^email-smtp\.([a-z0-9-]+)\.amazonaws\.com$/.exec(smtpHost)![1]!,
    simulator: {
      namespace: simulator.namespace,
      labels: simulator.labels,
      serviceAccount: simulator.pod.serviceAccountName ?? 'default',
      volumes: (simulator.pod.volumes ?? []).filter((v) => 'persistentVolumeClaim' in v).length,
    },
    workflowServices: (deployJob.env?.SERVICES ?? '').split(/\s+/).filter(Boolean),
    deployEnvironment: (deployJob.environment as { name: string }).name,
    workflowRepositoryPrefixes: [
      String(imagesJob.env?.REPOSITORY).replace(/\$\{\{.*$/, ''),
      ...[...read('.github/workflows/deploy.yml').matchAll(/--repository-name "([^"$]*)\$/g)].map(
        (m) => m[1]!,
      ),
    ],
  }
}

/** EKS add-on → the CSI driver name it registers (a StorageClass's provisioner). */
const CSI_ADDONS: Record<string, string> = { 'ebs.csi.aws.com': 'aws-ebs-csi-driver' }

/** A terraform test suite asserting that Terraform's resources match `facts`. */
export function contractSuite(facts: Contract): string {
  const assertion = (condition: string, message: string) =>
    `  assert {\n    condition     = ${condition}\n    error_message = ${hcl(message)}\n  }\n`
  const list = (values: string[]) => `toset(${hcl(values)})`
  const associations =
    'toset([for association in aws_eks_pod_identity_association.workload : "${association.namespace}/${association.service_account}"])'
  const secretChecks = Object.entries(facts.secretsRead).map(([key, properties]) =>
    assertion(
      `length(setsubtract(${list(properties)}, local.secret_keys[${hcl(key.replace(/^[^/]+\//, ''))}])) == 0`,
      `The aws overlay reads ${properties.join(', ')} from ${key}: Terraform's entry must hold them.`,
    ),
  )
  // The mock provider and variables of the suites beside it: what comes before their first run.
  const example = read('deploy/terraform/tests/cluster.tftest.hcl')
  const setup = example.slice(example.indexOf('mock_provider'), example.indexOf('\nrun "'))
  return `# Written by test/deploy/terraform.test.ts from the rendered aws overlay and the workflows.
${setup}
run "agrees_with_the_manifests_and_the_workflows" {
${[
  assertion(
    `toset([for repository in aws_ecr_repository.service : repository.name]) == ${list(facts.ecrRepositories)}`,
    `The aws overlay's images come from ${facts.ecrRepositories.join(', ')}: Terraform's ECR repositories.`,
  ),
  assertion(
    `output.ecr_registry == ${hcl(facts.ecrRegistry)}`,
    `The aws overlay's registry is ${facts.ecrRegistry}.`,
  ),
  assertion(
    `toset(local.namespaces) == ${list(facts.namespaces)}`,
    `Convoy's namespaces are ${facts.namespaces.join(', ')}.`,
  ),
  assertion(
    `length(setsubtract(toset([for association in aws_eks_pod_identity_association.workload : "\${association.namespace}/\${association.service_account}" if contains(local.namespaces, association.namespace)]), ${list(facts.serviceAccounts)})) == 0`,
    `Every Pod Identity association in Convoy's namespaces names a ServiceAccount of the aws overlay (${facts.serviceAccounts.join(', ')}).`,
  ),
  assertion(
    `length(setsubtract(${list(facts.awsCallers)}, ${associations})) == 0`,
    `${facts.awsCallers.join(', ')} call AWS: each needs a Pod Identity association.`,
  ),
  assertion(
    `aws_s3_bucket.media.bucket == ${hcl(facts.bucket)} && var.region == ${hcl(facts.bucketRegion)}`,
    `media's BLOB_STORE_URL names the bucket ${facts.bucket} in ${facts.bucketRegion}.`,
  ),
  assertion(
    `contains(flatten([for statement in jsondecode(aws_iam_role_policy.workload["media"].policy).Statement : statement.Resource]), "\${aws_s3_bucket.media.arn}/${facts.bucketPrefix}/*")`,
    `media keeps its objects under ${facts.bucketPrefix}/: its role must reach them.`,
  ),
  assertion(
    `toset([for secret in aws_secretsmanager_secret.this : secret.name]) == ${list(Object.keys(facts.secretsRead))}`,
    `The aws overlay's ExternalSecrets read ${Object.keys(facts.secretsRead).join(', ')}: Terraform's entries.`,
  ),
  ...secretChecks,
  assertion(
    `${hcl(facts.storageProvisioners.map((p) => CSI_ADDONS[p] ?? p))} == [aws_eks_addon.ebs_csi_driver.addon_name]`,
    `The StorageClass's provisioner ${facts.storageProvisioners.join()} is the EBS CSI driver's add-on.`,
  ),
  assertion(
    `${list(facts.loadBalancerCidrs)} == toset([aws_vpc.this.cidr_block])`,
    `The gateway trusts the load balancer's addresses as ${facts.loadBalancerCidrs.join()}: the VPC's range.`,
  ),
  assertion(
    `var.region == ${hcl(facts.secretStoreRegion)} && var.region == ${hcl(facts.sesRegion)}`,
    `The overlay's Secrets Manager and SES are in ${facts.secretStoreRegion}: Terraform's region.`,
  ),
  assertion(
    `length(setsubtract(${list(facts.secretStoreNamespaces)}, toset(local.namespaces))) == 0`,
    `The ClusterSecretStore serves Convoy's namespaces only.`,
  ),
  assertion(
    `one(aws_eks_fargate_profile.position_simulator.selector).namespace == ${hcl(facts.simulator.namespace)} && alltrue([for key, value in one(aws_eks_fargate_profile.position_simulator.selector).labels : lookup(${hcl(facts.simulator.labels)}, key, null) == value])`,
    `The Fargate profile selects the simulator's pods (${facts.simulator.namespace}, ${JSON.stringify(facts.simulator.labels)}).`,
  ),
  assertion(
    `!contains(${associations}, ${hcl(`${facts.simulator.namespace}/${facts.simulator.serviceAccount}`)}) && ${facts.simulator.volumes} == 0`,
    `The simulator runs on Fargate: it may neither call AWS through Pod Identity nor mount a volume.`,
  ),
  assertion(
    `toset(local.services) == ${list(facts.workflowServices)}`,
    `The deploy workflow deploys ${facts.workflowServices.join(', ')}: Terraform's services.`,
  ),
  assertion(
    `var.github_environment == ${hcl(facts.deployEnvironment)}`,
    `The deploy job runs in the environment ${facts.deployEnvironment}: the deploy role must trust it.`,
  ),
  assertion(
    `alltrue([for prefix in ${hcl(facts.workflowRepositoryPrefixes)} : prefix == "\${local.name}/"])`,
    `The workflows name the repositories ${facts.workflowRepositoryPrefixes.join(', ')}<service>.`,
  ),
].join('')}}
`
}

describe('the names agree across Terraform, the manifests and the workflows', () => {
  const facts = contract()

  test('the facts are read from the manifests and the workflows', () => {
    assert.deepEqual(facts.awsCallers, ['media/media'])
    assert.equal(facts.ecrRepositories.length, 9)
    assert.equal(Object.keys(facts.secretsRead).length, 9)
    assert.equal(facts.workflowRepositoryPrefixes.length >= 2, true)
  })

  before(() => initialised('.'))

  test('Terraform agrees with them', async () => {
    writeFileSync(path.join(terraform.dir, 'tests/contract.tftest.hcl'), contractSuite(facts))
    const { code, output } = await terraform.run('.', [
      'test',
      '-no-color',
      '-filter=tests/contract.tftest.hcl',
    ])
    assert.equal(code, 0, output)
    assert.equal(testSummary(output).passed, 1, output)
  })

  test('a disagreement is caught: an overlay reading a secret key Terraform does not write', async () => {
    const seeded = {
      ...facts,
      secretsRead: { ...facts.secretsRead, 'convoy/queue': ['password', 'erlang_cookie'] },
    }
    writeFileSync(path.join(terraform.dir, 'tests/contract.tftest.hcl'), contractSuite(seeded))
    const { code, output } = await terraform.run('.', [
      'test',
      '-no-color',
      '-filter=tests/contract.tftest.hcl',
    ])
    assert.notEqual(code, 0, output)
    assert.match(output.replace(/\s+/g, ' '), /reads password, erlang_cookie from convoy\/queue/)
  })

  test('a disagreement is caught: images from a repository Terraform does not make', async () => {
    const seeded = { ...facts, ecrRepositories: [...facts.ecrRepositories, 'convoy/dispatcher'] }
    writeFileSync(path.join(terraform.dir, 'tests/contract.tftest.hcl'), contractSuite(seeded))
    const { code, output } = await terraform.run('.', [
      'test',
      '-no-color',
      '-filter=tests/contract.tftest.hcl',
    ])
    assert.notEqual(code, 0, output)
    assert.match(output.replace(/\s+/g, ' '), /convoy\/dispatcher/)
  })
})

/**
 * The mock provider cannot produce ephemeral values, so the suites turn password generation off.
 * Here it is on: the passwords' provider is the real one, pointed at a stand-in for Secrets
 * Manager's GetRandomPassword on 127.0.0.1 (Secrets Manager itself cannot be reached from here),
 * so the generator, its keys and the write-only values are evaluated as on AWS.
 */
describe('the passwords are generated by Secrets Manager', () => {
  before(() => initialised('.'))

  test("one call per generated key, URL-safe, the Erlang cookie in upper case; every entry but SES's written", async () => {
    const calls: { target: string; request: Record<string, unknown> }[] = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk.toString()))
      request.on('end', () => {
        calls.push({
          target: String(request.headers['x-amz-target']),
          request: JSON.parse(body) as Record<string, unknown>,
        })
        response.setHeader('content-type', 'application/x-amz-json-1.1')
        response.end(JSON.stringify({ RandomPassword: `stand-in-${calls.length}` }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const example = read('deploy/terraform/tests/cluster.tftest.hcl')
      const mock = example.slice(
        example.indexOf('mock_provider'),
        example.indexOf('\n\n', example.indexOf('mock_provider')),
      )
      const { port } = server.address() as AddressInfo
      writeFileSync(
        path.join(terraform.dir, 'tests/passwords.tftest.hcl'),
        `# Written by test/deploy/terraform.test.ts: generation on, against a stand-in for Secrets Manager.
${mock}

provider "aws" {
  alias                       = "passwords"
  region                      = "eu-west-1"
  access_key                  = "stand-in"
  secret_key                  = "stand-in"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    secretsmanager = "http://127.0.0.1:${port}"
  }
}

run "generate" {
  variables {
    generate_passwords = true
  }

  assert {
    condition     = toset(keys(aws_secretsmanager_secret_version.generated)) == setsubtract(toset(keys(aws_secretsmanager_secret.this)), ["notification-smtp"])
    error_message = "Every entry but SES's login gets its generated values."
  }
  assert {
    condition     = alltrue([for version in aws_secretsmanager_secret_version.generated : version.secret_string == null && version.secret_string_wo_version == 1])
    error_message = "The values go through the write-only attribute only: none in the plan or the state."
  }
}
`,
      )
      const { code, output } = await terraform.run('.', [
        'test',
        '-no-color',
        '-filter=tests/passwords.tftest.hcl',
      ])
      assert.equal(code, 0, output)
      assert.equal(testSummary(output).passed, 1, output)
    } finally {
      server.close()
    }
    assert.ok(calls.length > 0)
    assert.ok(calls.every((call) => call.target === 'secretsmanager.GetRandomPassword'))
    assert.ok(
      calls.every((call) => call.request.PasswordLength === 32 && call.request.ExcludePunctuation === true),
    )
    // Nine values each time Terraform opens them (plan, apply): eight passwords and one cookie.
    const cookies = calls.filter((call) => call.request.ExcludeLowercase === true).length
    assert.equal(calls.length % 9, 0, `${calls.length} calls`)
    assert.equal(cookies, calls.length / 9)
  })
})
