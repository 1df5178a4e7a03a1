/**
 * The deploy workflow's rights in the cluster (deploy/k8s/overlays/aws/deployer-rbac.yaml),
 * evaluated offline on the built aws overlay (./rbac-checks.ts): the group convoy-deployers, which
 * Terraform maps the deploy role to, may apply every object of the overlay and run what
 * .github/workflows/deploy.yml runs after the apply, and nothing else — nothing outside Convoy's
 * namespaces, no cluster-wide object but Convoy's own by name, no Secret, no change to a Namespace
 * or to its own rights, no delete. Each check is shown to catch a mistake seeded into a copy.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { build, id, type K8sObject } from './k8s-checks.ts'
import {
  allowed,
  describeRequest,
  grants,
  rbacRuleProblems,
  requestFor,
  type Request,
} from './rbac-checks.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const AWS_OVERLAY = path.join(ROOT, 'deploy/k8s/overlays/aws')
const GROUP = 'convoy-deployers'
const DEPLOY_WORKFLOW = read('.github/workflows/deploy.yml')
/** Every workload the workflow waits for and may roll back, as namespace/kind/name. */
const WORKLOADS = (
  parse(DEPLOY_WORKFLOW) as { jobs: { deploy: { env: { WORKLOADS: string } } } }
).jobs.deploy.env.WORKLOADS.split(/\s+/).filter(Boolean)
const TERRAFORM = readdirSync(path.join(ROOT, 'deploy/terraform'))
  .filter((file) => file.endsWith('.tf'))
  .map((file) => read(`deploy/terraform/${file}`))
  .join('\n')

/** Namespaces that are not Convoy's: the system's and the add-ons'. */
const OTHER_NAMESPACES = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'default',
  'external-secrets',
  'keda',
  'monitoring',
]
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']
const CHANGES = ['create', 'update', 'patch', 'delete']
/** Namespaced resources no one outside a namespace's owners should reach, beyond those the rules name. */
const SENSITIVE: Array<[string, string]> = [
  ['', 'secrets'],
  ['', 'pods'],
  ['', 'pods/exec'],
  ['', 'serviceaccounts/token'],
  ['', 'configmaps'],
  ['apps', 'daemonsets'],
  ['rbac.authorization.k8s.io', 'roles'],
  ['rbac.authorization.k8s.io', 'rolebindings'],
]
/** Cluster-wide resources: only Convoy's own objects among them, by name. */
const CLUSTER_WIDE: Array<[string, string]> = [
  ['', 'namespaces'],
  ['', 'nodes'],
  ['', 'persistentvolumes'],
  ['storage.k8s.io', 'storageclasses'],
  ['rbac.authorization.k8s.io', 'clusterroles'],
  ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  ['apiextensions.k8s.io', 'customresourcedefinitions'],
  ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
  ['external-secrets.io', 'clustersecretstores'],
  ['gateway.networking.k8s.io', 'gatewayclasses'],
  ['karpenter.sh', 'nodepools'],
  ['karpenter.k8s.aws', 'ec2nodeclasses'],
]

/** What deploy.yml runs of kubectl, which the checks below grant: `kustomize` and `version` need no rights. */
const KUBECTL_COMMANDS = ['apply', 'get', 'kustomize', 'rollout status', 'rollout undo', 'version']

const isRbac = (o: K8sObject) => o.apiVersion.startsWith('rbac.authorization.k8s.io/')

/** What the group may do, against what it must and must not: the problems, in words. */
function deployerProblems(objects: K8sObject[]): string[] {
  const held = grants(objects, GROUP)
  const problems = new Set(rbacRuleProblems(objects, GROUP))
  const must = (request: Request, why: string) => {
    if (!allowed(held, request)) problems.add(`cannot ${describeRequest(request)}: ${why}`)
  }
  const mustNot = (request: Request, why: string) => {
    if (allowed(held, request)) problems.add(`may ${describeRequest(request)}: ${why}`)
  }

  // kubectl apply -k (client-side) reads every object, creates the missing ones, patches the
  // changed ones. Cluster-wide objects, Namespaces and the RBAC itself are an administrator's to
  // create and change; the workflow never deletes.
  for (const object of objects) {
    must(requestFor(object, 'get'), 'kubectl apply reads it')
    mustNot(requestFor(object, 'delete'), 'the workflow deletes nothing')
    if (isRbac(object)) {
      for (const verb of CHANGES) mustNot(requestFor(object, verb), "its own rights are an administrator's")
    } else if (object.kind === 'Namespace') {
      for (const verb of CHANGES)
        mustNot(requestFor(object, verb), "a Namespace's labels set its Pod Security level")
    } else if (object.metadata.namespace) {
      must(requestFor(object, 'create'), 'kubectl apply creates it')
      must(requestFor(object, 'patch'), 'kubectl apply patches it')
    } else {
      must(requestFor(object, 'patch'), 'kubectl apply patches what a release changed')
      mustNot(requestFor(object, 'create'), "a cluster-wide object is an administrator's to create")
    }
  }

  // What the workflow runs after the apply: kubectl get deployment (the revisions), rollout status
  // (get, list and watch), rollout undo (the Deployment's ReplicaSets, a patch of the Deployment).
  for (const workload of WORKLOADS) {
    const [namespace, kind, name] = workload.split('/') as [string, string, string]
    const on = { group: 'apps', resource: `${kind}s`, namespace }
    must({ ...on, verb: 'get', name }, 'kubectl get, kubectl rollout status')
    for (const verb of ['list', 'watch']) must({ ...on, verb }, 'kubectl rollout status')
    if (kind === 'deployment') {
      must({ ...on, verb: 'patch', name }, 'kubectl rollout undo')
      for (const verb of ['get', 'list'])
        must({ group: 'apps', resource: 'replicasets', namespace, verb }, 'kubectl rollout undo')
    }
  }

  // Every resource any of its rules names (and the sensitive ones), by every verb, under no name
  // and under each name a rule lists (a rule without names matches any name, one with names only
  // those): nothing in another namespace, nor across all of them.
  const ruled = held.flatMap(({ rule }) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).map((r): [string, string] => [group, r]),
    ),
  )
  const clusterWide = new Set(CLUSTER_WIDE.map(([, resource]) => resource))
  const names = [
    undefined,
    ...new Set([
      ...held.flatMap(({ rule }) => rule.resourceNames ?? []),
      'kube-system',
      'default',
      'gp2',
      'cluster-admin',
    ]),
  ]
  for (const namespace of [...OTHER_NAMESPACES, undefined])
    for (const [group, resource] of [...ruled, ...SENSITIVE].filter(([, r]) => !clusterWide.has(r)))
      for (const verb of VERBS)
        for (const name of names)
          if (allowed(held, { verb, group, resource, namespace, name }))
            problems.add(
              `may ${describeRequest({ verb, group, resource, namespace })}: outside Convoy's namespaces`,
            )

  // Cluster-wide: get (and patch, above) Convoy's own objects by name, nothing else.
  const own = new Set(
    objects
      .filter((o) => !o.metadata.namespace)
      .map((o) => requestFor(o, 'get'))
      .map(describeRequest),
  )
  for (const [group, resource] of [...CLUSTER_WIDE, ...ruled.filter(([, r]) => clusterWide.has(r))])
    for (const verb of VERBS)
      for (const name of names) {
        const request = {
          verb,
          group,
          resource,
          name,
          namespace: resource === 'namespaces' ? name : undefined,
        }
        const ownObject = own.has(describeRequest({ ...request, verb: 'get' }))
        if (allowed(held, request) && !(ownObject && (verb === 'get' || verb === 'patch')))
          problems.add(`may ${describeRequest(request)}: not one of Convoy's own cluster-wide objects`)
      }

  // No Secret: the overlay renders none (ExternalSecrets make them), so the group reads none.
  for (const namespace of [
    ...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
    undefined,
  ])
    for (const verb of VERBS)
      for (const name of [undefined, 'auth-postgres', 'amqp'])
        mustNot({ verb, group: '', resource: 'secrets', namespace, name }, 'the workflow needs no Secret')

  return [...problems]
}

/** The kubectl commands of a workflow, as `<command> [<subcommand>]` (`rollout undo`). */
function kubectlCommands(workflow: string): string[] {
  const commands = new Set<string>()
  for (const [, rest] of workflow.matchAll(/\bkubectl\b([^\n|;&)`]*)/g)) {
    const words: string[] = []
    const tokens = rest!.trim().split(/\s+/).filter(Boolean)
    for (let i = 0; i < tokens.length && words.length < 2; i++) {
      if (tokens[i] === '-n' || tokens[i] === '--namespace') i++
      else if (!tokens[i]!.startsWith('-')) words.push(tokens[i]!)
    }
    commands.add(words[0] === 'rollout' ? words.join(' ') : (words[0] ?? ''))
  }
  return [...commands].sort()
}

/** The deploy role's access entry in Terraform: its Kubernetes groups, and any access policy. */
function terraformAccessProblems(terraform: string): string[] {
  const problems: string[] = []
  const entry = /resource "aws_eks_access_entry" "deploy" \{([^}]*)\}/.exec(terraform)?.[1]
  const groups = /kubernetes_groups\s*=\s*\[([^\]]*)\]/.exec(entry ?? '')?.[1]
  const names = [...(groups ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1])
  if (names.join() !== GROUP) problems.push(`the deploy role's access entry has groups [${names.join(', ')}]`)
  for (const [block] of terraform.matchAll(
    /resource "aws_eks_access_policy_association" "[^"]+" \{[^]*?\n\}/g,
  ))
    if (/deploy/.test(block)) problems.push('the deploy role has an EKS access policy')
  return problems
}

describe("the deploy workflow's rights (the group convoy-deployers)", () => {
  let objects: K8sObject[]
  before(() => {
    objects = build(AWS_OVERLAY)
  })

  test('the aws overlay renders no Secret, so the group needs to read none', () => {
    assert.deepEqual(objects.filter((o) => o.kind === 'Secret').map(id), [])
    assert.ok(objects.some((o) => o.kind === 'ExternalSecret'))
  })

  test('it may apply the overlay and run the rollout commands, and nothing else', () => {
    assert.deepEqual(deployerProblems(objects), [])
  })

  test("its namespaced rights are bound in each of Convoy's namespaces, and only there", () => {
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)
    const bound = objects.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.namespace)
    assert.deepEqual(bound.sort(), namespaces.sort())
    assert.equal(namespaces.length, 10)
  })

  test('the workflow runs only the kubectl commands these rights were written for', () => {
    assert.deepEqual(kubectlCommands(DEPLOY_WORKFLOW), KUBECTL_COMMANDS)
  })

  test('Terraform maps the deploy role to the group, with no EKS access policy', () => {
    assert.deepEqual(terraformAccessProblems(TERRAFORM), [])
  })
})

describe('the rights checks catch the classic mistakes', () => {
  let objects: K8sObject[]
  before(() => {
    objects = build(AWS_OVERLAY)
  })
  const rolesOf = (built: K8sObject[], name: string) =>
    (
      built.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name) as unknown as {
        rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>
      }
    ).rules
  const problemsOf = (mutate: (copy: K8sObject[]) => K8sObject[] | void) => {
    const copy = structuredClone(objects)
    return deployerProblems(mutate(copy) ?? copy).join('\n')
  }

  test('a kind of the overlay left out of the rules: its objects cannot be applied', () => {
    const problems = problemsOf((copy) => {
      const rules = rolesOf(copy, 'convoy-deployer')
      rules.splice(
        rules.findIndex((r) => r.resources.includes('servicemonitors')),
        1,
      )
    })
    assert.match(
      problems,
      /cannot get servicemonitors.monitoring.coreos.com auth in auth: kubectl apply reads it/,
    )
    assert.match(
      problems,
      /cannot create servicemonitors.monitoring.coreos.com in web: kubectl apply creates it/,
    )
  })

  test('a namespace without its RoleBinding: nothing of it can be applied', () => {
    const problems = problemsOf((copy) =>
      copy.filter((o) => !(o.kind === 'RoleBinding' && o.metadata.namespace === 'queue')),
    )
    assert.match(problems, /cannot patch statefulsets.apps queue in queue: kubectl apply patches it/)
  })

  test("rollout undo's ReplicaSets left out", () => {
    const problems = problemsOf((copy) => {
      const rules = rolesOf(copy, 'convoy-deployer')
      rules.splice(
        rules.findIndex((r) => r.resources.includes('replicasets')),
        1,
      )
    })
    assert.match(problems, /cannot list replicasets.apps in web: kubectl rollout undo/)
  })

  test('the namespaced role bound cluster-wide: every namespace opens up, kube-system included', () => {
    const problems = problemsOf((copy) => {
      copy.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'convoy-deployer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'convoy-deployer' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: GROUP }],
      })
    })
    assert.match(problems, /may patch deployments.apps in kube-system: outside Convoy's namespaces/)
    assert.match(problems, /may list deployments.apps cluster-wide: outside Convoy's namespaces/)
  })

  test('a RoleBinding in kube-system', () => {
    const problems = problemsOf((copy) => {
      const binding = structuredClone(copy.find((o) => o.kind === 'RoleBinding')!)
      binding.metadata.namespace = 'kube-system'
      copy.push(binding)
    })
    assert.match(problems, /may create configmaps in kube-system: outside Convoy's namespaces/)
  })

  test('a cluster-wide rule without resourceNames: every StorageClass', () => {
    const problems = problemsOf((copy) => {
      delete rolesOf(copy, 'convoy-deployer-cluster').find((r) => r.resources.includes('storageclasses'))!
        .resourceNames
    })
    assert.match(
      problems,
      /may patch storageclasses.storage.k8s.io gp2 cluster-wide: not one of Convoy's own/,
    )
    assert.match(problems, /may get storageclasses.storage.k8s.io kube-system cluster-wide: not one of/)
  })

  test("Namespaces patched: a Namespace's Pod Security level would be the group's to lift", () => {
    const problems = problemsOf((copy) => {
      rolesOf(copy, 'convoy-deployer-cluster')
        .find((r) => r.resources.includes('namespaces'))!
        .verbs.push('patch')
    })
    assert.match(
      problems,
      /may patch namespaces auth in auth: a Namespace's labels set its Pod Security level/,
    )
  })

  test('the group may change its own rights', () => {
    const problems = problemsOf((copy) => {
      rolesOf(copy, 'convoy-deployer-cluster')
        .filter((r) => r.resources.includes('clusterroles'))
        .forEach((r) => r.verbs.push('patch'))
    })
    assert.match(
      problems,
      /may patch clusterroles.rbac.authorization.k8s.io convoy-deployer cluster-wide: its own rights are an administrator's/,
    )
  })

  test('Secrets among the core resources', () => {
    const problems = problemsOf((copy) => {
      rolesOf(copy, 'convoy-deployer')
        .find((r) => r.apiGroups.includes(''))!
        .resources.push('secrets')
    })
    assert.match(problems, /may get secrets auth-postgres in auth: the workflow needs no Secret/)
  })

  test("a wildcard verb, a verb that grants rights, and a binding to a role that isn't in the build", () => {
    const problems = problemsOf((copy) => {
      const rules = rolesOf(copy, 'convoy-deployer')
      rules.find((r) => r.resources.includes('deployments'))!.verbs = ['*']
      rules.push({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind'] })
      const binding = copy.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'web')!
      ;(binding as unknown as { roleRef: { name: string } }).roleRef.name = 'edit'
    })
    assert.match(problems, /ClusterRole convoy-deployer rule \d+: verbs \*/)
    assert.match(problems, /ClusterRole convoy-deployer rule \d+: the verb bind grants rights/)
    assert.match(problems, /RoleBinding web\/convoy-deployer: its ClusterRole edit is not in the build/)
    assert.match(problems, /may delete deployments.apps auth in auth: the workflow deletes nothing/)
  })

  test('a kubectl command the rights were not written for', () => {
    const workflow = DEPLOY_WORKFLOW.replace(
      'run: kubectl apply -k "$OVERLAY"',
      'run: kubectl apply -k "$OVERLAY" --prune -l app.kubernetes.io/part-of=convoy\n      - run: kubectl -n web delete pod -l app=web',
    )
    assert.notEqual(workflow, DEPLOY_WORKFLOW)
    assert.deepEqual(kubectlCommands(workflow), [...KUBECTL_COMMANDS, 'delete'].sort())
  })

  test('the deploy role given an EKS access policy, or another group', () => {
    const withPolicy = `${TERRAFORM}
resource "aws_eks_access_policy_association" "deploy" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_iam_role.ci["deploy"].arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
}
`
    assert.deepEqual(terraformAccessProblems(withPolicy), ['the deploy role has an EKS access policy'])
    const otherGroup = TERRAFORM.replace(
      `kubernetes_groups = ["${GROUP}"]`,
      'kubernetes_groups = ["system:masters"]',
    )
    assert.deepEqual(terraformAccessProblems(otherGroup), [
      "the deploy role's access entry has groups [system:masters]",
    ])
  })
})
