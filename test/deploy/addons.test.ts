/**
 * The cluster's add-ons (deploy/k8s/addons), verified offline — no cluster, Helm or registry here:
 * install.sh passes shellcheck, and its dry run installs every chart in order, at a version of
 * versions.env, with its values file; the values files parse, run every controller on the base node
 * group with requests and limits, and give the controllers that call AWS the ServiceAccounts of
 * Terraform's Pod Identity associations, without an IRSA annotation; the Karpenter kustomization
 * builds, validates against Karpenter's schemas and agrees with Terraform (node role, discovery
 * tags, CPU limit), also for a cluster named otherwise; kube-prometheus-stack's release name is the
 * label Convoy's ServiceMonitors carry. Each check is shown to catch a mistake seeded into a copy.
 */
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse, parseAllDocuments, parseDocument } from 'yaml'
import {
  at,
  dryRun,
  installProblems,
  karpenterProblems,
  parseVersions,
  terraformAssociations,
  terraformDefault,
  type DryRun,
} from './addons-checks.ts'
import { build, schemaProblems, type K8sObject } from './k8s-checks.ts'
import { shellcheckFile } from './workflow-checks.ts'
import { edit } from './seeding.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ADDONS = path.join(ROOT, 'deploy/k8s/addons')
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const TERRAFORM = readdirSync(path.join(ROOT, 'deploy/terraform'))
  .filter((file) => file.endsWith('.tf'))
  .map((file) => read(`deploy/terraform/${file}`))
  .join('\n')
const NAME = terraformDefault(TERRAFORM, 'name')!
/** What Terraform's outputs would give install.sh, for the default name. */
const SETTINGS = {
  CLUSTER_NAME: NAME,
  AWS_REGION: 'eu-west-1',
  VPC_ID: 'vpc-0123456789abcdef0',
  KARPENTER_NODE_ROLE: `${NAME}-karpenter-node`,
  KARPENTER_INTERRUPTION_QUEUE: `${NAME}-karpenter`,
  KARPENTER_CPU_LIMIT: terraformDefault(TERRAFORM, 'karpenter_cpu_limit')!,
}

/** The releases, in the order they need each other, and their namespaces (docs/aws.md, 4). */
const RELEASES: Array<[string, string]> = [
  ['aws-load-balancer-controller', 'kube-system'],
  ['karpenter', 'kube-system'],
  ['external-secrets', 'external-secrets'],
  ['keda', 'keda'],
  ['kube-prometheus-stack', 'monitoring'],
]
/** The controllers that call AWS: Terraform's Pod Identity association of each (the contract). */
const POD_IDENTITIES = [
  'kube-system/aws-load-balancer-controller',
  'kube-system/karpenter',
  'external-secrets/external-secrets',
]
/** Where each values file puts its pods on nodes, and their resources (paths in the values). */
const PLACEMENT: Record<string, { nodeSelectors: string[][]; resources: string[][] }> = {
  'aws-load-balancer-controller': { nodeSelectors: [['nodeSelector']], resources: [['resources']] },
  karpenter: { nodeSelectors: [['nodeSelector']], resources: [['controller', 'resources']] },
  'external-secrets': {
    nodeSelectors: [['global', 'nodeSelector']],
    resources: [['resources'], ['webhook', 'resources'], ['certController', 'resources']],
  },
  keda: {
    nodeSelectors: [['nodeSelector']],
    resources: [
      ['resources', 'operator'],
      ['resources', 'metricServer'],
      ['resources', 'webhooks'],
    ],
  },
  'kube-prometheus-stack': {
    nodeSelectors: [
      ['prometheusOperator', 'nodeSelector'],
      ['prometheusOperator', 'admissionWebhooks', 'patch', 'nodeSelector'],
      ['prometheus', 'prometheusSpec', 'nodeSelector'],
      ['kube-state-metrics', 'nodeSelector'],
      ['grafana', 'nodeSelector'],
      ['alertmanager', 'alertmanagerSpec', 'nodeSelector'],
    ],
    resources: [
      ['prometheusOperator', 'resources'],
      ['prometheus', 'prometheusSpec', 'resources'],
      ['grafana', 'resources'],
      ['grafana', 'sidecar', 'resources'],
      ['alertmanager', 'alertmanagerSpec', 'resources'],
      ['kube-state-metrics', 'resources'],
      ['prometheus-node-exporter', 'resources'],
    ],
  },
}
/** The base node group's label (deploy/terraform/nodes.tf), which the controllers select. */
const BASE_LABEL = /"(convoy\.dev\/capacity)"\s*=\s*"(base)"/.exec(TERRAFORM)

type Values = Record<string, unknown>
const loadValues = (dir: string) =>
  Object.fromEntries(
    RELEASES.map(([name]) => [
      name,
      parse(readFileSync(path.join(dir, 'values', `${name}.yaml`), 'utf8')) as Values,
    ]),
  )

/** The values against the base node group, and the ServiceAccounts against the Pod Identity contract. */
function valuesProblems(values: Record<string, Values>, run: DryRun): string[] {
  const problems: string[] = []
  const [, key, label] = BASE_LABEL ?? []
  for (const [release, { nodeSelectors, resources }] of Object.entries(PLACEMENT)) {
    for (const selector of nodeSelectors)
      if ((at(values[release], ...selector) as Record<string, string> | undefined)?.[key!] !== label)
        problems.push(`${release}: ${selector.join('.')} does not select ${key}=${label}`)
    for (const resource of resources) {
      const { requests, limits } = (at(values[release], ...resource) ?? {}) as Record<
        string,
        Values | undefined
      >
      if (!requests?.cpu || !requests.memory || !limits?.memory)
        problems.push(`${release}: ${resource.join('.')} without CPU and memory requests and a memory limit`)
    }
  }
  const accounts = run.releases.flatMap((release) => {
    const account = at(values[release.name], 'serviceAccount', 'name') as string | undefined
    return account ? [`${release.options.get('--namespace')?.[0]}/${account}`] : []
  })
  if (accounts.sort().join() !== [...POD_IDENTITIES].sort().join())
    problems.push(`ServiceAccounts [${accounts.join(', ')}], not the Pod Identity associations'`)
  for (const [release, document] of Object.entries(values))
    if (JSON.stringify(document).includes('eks.amazonaws.com/role-arn'))
      problems.push(`${release}: an IRSA annotation (eks.amazonaws.com/role-arn): Pod Identity needs none`)
  return problems
}

describe('deploy/k8s/addons', () => {
  const script = path.join(ADDONS, 'install.sh')
  const versions = parseVersions(readFileSync(path.join(ADDONS, 'versions.env'), 'utf8'))
  let run: DryRun
  let karpenter: K8sObject[]
  before(() => {
    run = dryRun(script, SETTINGS)
    karpenter = build(path.join(ADDONS, 'karpenter'))
  })

  test('install.sh passes shellcheck', () => {
    assert.deepEqual(shellcheckFile(script), [])
  })

  test('install.sh installs every chart in order, at its version of versions.env, with its values file', () => {
    assert.deepEqual(installProblems(readFileSync(script, 'utf8'), versions, run, RELEASES), [])
    assert.equal(versions.size, RELEASES.length + 1, 'a version per chart, and the Gateway API CRDs')
    const settings = (name: string) => run.releases.find((r) => r.name === name)!.options.get('--set')
    assert.deepEqual(settings('aws-load-balancer-controller'), [
      `clusterName=${NAME}`,
      `region=${SETTINGS.AWS_REGION}`,
      `vpcId=${SETTINGS.VPC_ID}`,
    ])
    assert.deepEqual(settings('karpenter'), [
      `settings.clusterName=${NAME}`,
      `settings.interruptionQueue=${SETTINGS.KARPENTER_INTERRUPTION_QUEUE}`,
      'controller.env[0].name=AWS_REGION',
      `controller.env[0].value=${SETTINGS.AWS_REGION}`,
    ])
    // Karpenter's NodePool and EC2NodeClass right after Karpenter, before the next chart.
    const karpenterAt = run.releases.find((r) => r.name === 'karpenter')!.line
    assert.match(run.commands[karpenterAt + 1]!, /^kubectl apply -f - <<'EOF'$/)
  })

  test('the values files parse as YAML, one document each, without duplicate keys', () => {
    for (const file of readdirSync(path.join(ADDONS, 'values'))) {
      const documents = parseAllDocuments(readFileSync(path.join(ADDONS, 'values', file), 'utf8'))
      assert.equal(documents.length, 1, file)
      assert.deepEqual(documents[0]!.errors, [], file)
    }
    assert.deepEqual(
      readdirSync(path.join(ADDONS, 'values')).sort(),
      RELEASES.map(([name]) => `${name}.yaml`).sort(),
    )
  })

  test('every controller runs on the base node group, with resources; those that call AWS as Pod Identity expects', () => {
    assert.ok(BASE_LABEL, 'deploy/terraform labels the base node group convoy.dev/capacity=base')
    assert.deepEqual(valuesProblems(loadValues(ADDONS), run), [])
  })

  test("Terraform's Pod Identity associations of the add-on namespaces are those ServiceAccounts", () => {
    const associations = terraformAssociations(TERRAFORM)
    assert.ok(associations.includes('media/media'), `the parser finds media's: ${associations.join(', ')}`)
    const addOnNamespaces = new Set(RELEASES.map(([, namespace]) => namespace))
    const ofAddOns = associations.filter((a) => addOnNamespaces.has(a.split('/')[0]!))
    // An association Terraform names otherwise than the values would give that controller no role.
    for (const association of ofAddOns) assert.ok(POD_IDENTITIES.includes(association), association)
    // And one for each controller that calls AWS, or it would have no role.
    assert.deepEqual(
      POD_IDENTITIES.filter((a) => !ofAddOns.includes(a)),
      [],
    )
  })

  test('the Karpenter kustomization builds and validates against the Karpenter schemas', async () => {
    assert.deepEqual(karpenter.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort(), [
      'karpenter.k8s.aws/v1 EC2NodeClass default',
      'karpenter.sh/v1 NodePool default',
    ])
    assert.deepEqual(await schemaProblems(karpenter), [])
  })

  test("the NodePool and EC2NodeClass agree with each other and with Terraform's names and limit", () => {
    assert.equal(NAME, 'convoy')
    assert.deepEqual(karpenterProblems(karpenter, TERRAFORM), [])
  })

  test('the NodePool: on-demand amd64 c, m and r of generation 6 on, consolidated, within budgets', () => {
    const pool = karpenter.find((o) => o.kind === 'NodePool')!
    const requirements = at(pool, 'spec', 'template', 'spec', 'requirements') as Array<{
      key: string
      operator: string
      values: string[]
    }>
    const requirement = (key: string) => requirements.find((r) => r.key === key)
    assert.deepEqual(requirement('karpenter.sh/capacity-type')?.values, ['on-demand'])
    assert.deepEqual(requirement('kubernetes.io/arch')?.values, ['amd64'])
    assert.deepEqual(requirement('karpenter.k8s.aws/instance-category')?.values.sort(), ['c', 'm', 'r'])
    assert.deepEqual(
      [
        requirement('karpenter.k8s.aws/instance-generation')?.operator,
        requirement('karpenter.k8s.aws/instance-generation')?.values,
      ],
      ['Gt', ['5']],
    )
    assert.equal(at(pool, 'spec', 'disruption', 'consolidationPolicy'), 'WhenEmptyOrUnderutilized')
    assert.ok(at(pool, 'spec', 'disruption', 'consolidateAfter'))
    assert.ok(at(pool, 'spec', 'template', 'spec', 'expireAfter'))
    const budgets = at(pool, 'spec', 'disruption', 'budgets') as Array<{ nodes: string; schedule?: string }>
    assert.deepEqual(
      budgets.map((b) => b.nodes),
      ['10%', '0'],
    )
    const nodeClass = karpenter.find((o) => o.kind === 'EC2NodeClass')!
    assert.match(String(at(nodeClass, 'spec', 'amiSelectorTerms', '0', 'alias')), /^al2023@/)
  })

  test('install.sh applies them with the node role and discovery tag of a cluster named otherwise', () => {
    const acme = dryRun(script, {
      ...SETTINGS,
      CLUSTER_NAME: 'acme',
      KARPENTER_NODE_ROLE: 'acme-karpenter-node',
      KARPENTER_INTERRUPTION_QUEUE: 'acme-karpenter',
    })
    assert.deepEqual(karpenterProblems(acme.manifests, TERRAFORM, 'acme'), [])
    assert.doesNotMatch(JSON.stringify(acme.manifests), /convoy/)
    // The rest of the build is the same.
    const strip = (objects: K8sObject[]) => JSON.stringify(objects).replaceAll('acme', 'convoy')
    assert.equal(strip(acme.manifests), strip(build(path.join(ADDONS, 'karpenter'))))
  })

  test("install.sh gives the NodePool Terraform's CPU limit when it is not the default", () => {
    const wider = dryRun(script, { ...SETTINGS, KARPENTER_CPU_LIMIT: '48' })
    const pool = wider.manifests.find((o) => o.kind === 'NodePool')!
    assert.equal(String(at(pool, 'spec', 'limits', 'cpu')), '48')
  })

  test("kube-prometheus-stack's release is named as Convoy's ServiceMonitors' release label", () => {
    const monitors = parseAllDocuments(read('deploy/k8s/components/monitoring/servicemonitors.yaml')).map(
      (doc) => doc.toJS() as K8sObject,
    )
    assert.ok(monitors.length >= 8)
    const name = run.releases.find((r) => r.chart === 'kube-prometheus-stack')!.name
    for (const monitor of monitors)
      assert.equal(monitor.metadata.labels?.release, name, monitor.metadata.name)
    const values = loadValues(ADDONS)['kube-prometheus-stack']
    assert.notEqual(
      at(values, 'prometheus', 'prometheusSpec', 'serviceMonitorSelectorNilUsesHelmValues'),
      false,
    )
  })
})

describe('the add-on checks catch the classic mistakes', () => {
  let dir: string
  let karpenter: K8sObject[]
  const copy = () => {
    const target = mkdtempSync(path.join(dir, 'addons-'))
    cpSync(ADDONS, target, { recursive: true })
    return target
  }
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'convoy-addons-'))
    karpenter = build(path.join(ADDONS, 'karpenter'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('a chart version written into install.sh instead of versions.env', () => {
    const target = copy()
    edit(path.join(target, 'install.sh'), 'keda keda keda "$KEDA_VERSION"', 'keda keda keda 2.20.2')
    const script = readFileSync(path.join(target, 'install.sh'), 'utf8')
    const run = dryRun(path.join(target, 'install.sh'), SETTINGS)
    const problems = installProblems(
      script,
      parseVersions(readFileSync(path.join(target, 'versions.env'), 'utf8')),
      run,
      RELEASES,
    ).join('\n')
    assert.match(problems, /install.sh names a version itself \(2\.20\.2\)/)
  })

  test('a version in versions.env that nothing installs, and a chart without --wait or its values', () => {
    const target = copy()
    writeFileSync(
      path.join(target, 'versions.env'),
      `${readFileSync(path.join(target, 'versions.env'), 'utf8')}CERT_MANAGER_VERSION=v1.19.1\n`,
    )
    edit(
      path.join(target, 'install.sh'),
      '--values "$here/values/$name.yaml" --wait',
      '--values "$here/values/$name.yml"',
    )
    const run = dryRun(path.join(target, 'install.sh'), SETTINGS)
    const problems = installProblems(
      readFileSync(path.join(target, 'install.sh'), 'utf8'),
      parseVersions(readFileSync(path.join(target, 'versions.env'), 'utf8')),
      run,
      RELEASES,
    ).join('\n')
    assert.match(problems, /CERT_MANAGER_VERSION=v1.19.1 is installed by nothing/)
    assert.match(problems, /keda: not helm upgrade --install --wait/)
    assert.match(problems, /keda: values .*values\/keda.yml, not values\/keda.yaml/)
  })

  test('KEDA installed before External Secrets, and the Karpenter CRDs left to Helm', () => {
    const target = copy()
    const file = path.join(target, 'install.sh')
    const text = readFileSync(file, 'utf8')
    const eso = /step "4\. External[^]*?(?=\nstep "5)/.exec(text)![0]
    const keda = /step "5\. KEDA[^]*?(?=\nstep "6)/.exec(text)![0]
    writeFileSync(file, text.replace(eso, '@@').replace(keda, eso).replace('@@', keda))
    edit(file, '"$KARPENTER_VERSION" --skip-crds', '"$KARPENTER_VERSION"')
    const problems = installProblems(
      readFileSync(file, 'utf8'),
      parseVersions(readFileSync(path.join(target, 'versions.env'), 'utf8')),
      dryRun(file, SETTINGS),
      RELEASES,
    ).join('\n')
    assert.match(problems, /releases in order: \[.*keda keda, external-secrets external-secrets/)
    assert.match(problems, /karpenter: Helm would install the CRDs the script applies/)
  })

  test('an unquoted variable in install.sh', () => {
    const target = copy()
    edit(
      path.join(target, 'install.sh'),
      'cp -r "$here/karpenter" "$work/karpenter"',
      'cp -r $here/karpenter "$work/karpenter"',
    )
    assert.match(shellcheckFile(path.join(target, 'install.sh')).join('\n'), /SC2086/)
  })

  test('a values file with a duplicate key', () => {
    const document = parseDocument('nodeSelector:\n  convoy.dev/capacity: base\nnodeSelector: {}\n')
    assert.match(document.errors.map((e) => e.message).join('\n'), /Map keys must be unique/)
  })

  test('a ServiceAccount named otherwise than its association, an IRSA annotation, a pod off the base nodes', () => {
    const target = copy()
    edit(path.join(target, 'values/karpenter.yaml'), 'name: karpenter', 'name: karpenter-controller')
    edit(
      path.join(target, 'values/aws-load-balancer-controller.yaml'),
      'serviceAccount:\n',
      'serviceAccount:\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/lbc\n',
    )
    edit(path.join(target, 'values/keda.yaml'), /nodeSelector:\n {2}convoy.dev\/capacity: base\n/, '')
    edit(
      path.join(target, 'values/external-secrets.yaml'),
      /certController:\n {2}resources:\n( {4}.*\n)+/,
      '',
    )
    const problems = valuesProblems(
      loadValues(target),
      dryRun(path.join(target, 'install.sh'), SETTINGS),
    ).join('\n')
    assert.match(problems, /ServiceAccounts \[.*kube-system\/karpenter-controller.*\], not the Pod Identity/)
    assert.match(problems, /aws-load-balancer-controller: an IRSA annotation/)
    assert.match(problems, /keda: nodeSelector does not select convoy.dev\/capacity=base/)
    assert.match(problems, /external-secrets: certController.resources without CPU and memory requests/)
  })

  test('a Pod Identity association named otherwise in Terraform, through a local', () => {
    const terraform = `${TERRAFORM}\nlocals {\n  lbc_account = "aws-load-balancer-controller-sa"\n}\nresource "aws_eks_pod_identity_association" "lbc" {\n  namespace       = "kube-system"\n  service_account = local.lbc_account\n}\n`
    const associations = terraformAssociations(terraform)
    assert.ok(associations.includes('kube-system/aws-load-balancer-controller-sa'), associations.join())
    assert.ok(!POD_IDENTITIES.includes('kube-system/aws-load-balancer-controller-sa'))
  })

  test('a NodePool over the limit Terraform sets, aimed at a missing class; a class with another role and tags', () => {
    const broken = structuredClone(karpenter)
    const pool = broken.find((o) => o.kind === 'NodePool')!
    ;(at(pool, 'spec', 'limits') as Record<string, string>).cpu = '64'
    ;(at(pool, 'spec', 'template', 'spec', 'nodeClassRef') as Record<string, string>).name = 'defualt'
    const nodeClass = broken.find((o) => o.kind === 'EC2NodeClass')!
    const spec = nodeClass.spec as Record<string, unknown>
    spec.role = 'KarpenterNodeRole-convoy'
    spec.subnetSelectorTerms = [{ tags: { 'karpenter.sh/discovery': 'my-cluster' } }]
    ;(spec.metadataOptions as Record<string, unknown>).httpPutResponseHopLimit = 2
    const problems = karpenterProblems(broken, TERRAFORM).join('\n')
    for (const expected of [
      /NodePool default: limits.cpu 64, Terraform's karpenter_cpu_limit 32/,
      /NodePool default: its nodeClassRef EC2NodeClass defualt is not in the build/,
      /EC2NodeClass default: role KarpenterNodeRole-convoy, not convoy-karpenter-node/,
      /subnetSelectorTerms select karpenter.sh\/discovery \[my-cluster\], not convoy/,
      /instance metadata other than IMDSv2 with a hop limit of 1/,
    ])
      assert.match(problems, expected)
  })

  test('Terraform names the node role otherwise', () => {
    const terraform = TERRAFORM.replace('"${local.name}-karpenter-node"', '"KarpenterNodeRole-${local.name}"')
    assert.notEqual(terraform, TERRAFORM)
    assert.match(
      karpenterProblems(karpenter, terraform).join('\n'),
      /Terraform names the Karpenter node role/,
    )
  })

  test("a NodePool in v1beta1's words: the schema refuses it", async () => {
    const broken = structuredClone(karpenter)
    ;(
      at(
        broken.find((o) => o.kind === 'NodePool'),
        'spec',
        'disruption',
      ) as Record<string, string>
    ).consolidationPolicy = 'WhenUnderutilized'
    assert.match(
      (await schemaProblems(broken)).join('\n'),
      /NodePool default: .*consolidationPolicy must be equal to one of the allowed values/,
    )
  })
})
