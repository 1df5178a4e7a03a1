/**
 * docs/operations.md's commands, checked against what the manifests render (no cluster runs
 * here): every namespace, workload, Service, ConfigMap, HPA, ScaledObject, PVC and pod that one of
 * its `kubectl` commands names exists in an overlay (or in one with an optional component the local
 * overlay lists), and every `app` label it selects pods by is a workload's in that namespace. The
 * objects of the namespace `monitoring` are kube-prometheus-stack's, installed by Helm
 * (deploy/k8s/addons), not rendered here: commands there are left out. Each check is shown to catch
 * a wrong name seeded into a copy of the document.
 */
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build, workloads, type K8sObject } from './k8s-checks.ts'

const K8S = fileURLToPath(new URL('../../deploy/k8s', import.meta.url))
const OPERATIONS = fileURLToPath(new URL('../../docs/operations.md', import.meta.url))
/** Namespaces whose objects come from Helm charts, not from deploy/k8s. */
const HELM_NAMESPACES = new Set(['monitoring'])

/** `kubectl` kinds as the commands spell them, and the kind of the object each names. */
const KINDS: Record<string, string> = {
  deployment: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  svc: 'Service',
  service: 'Service',
  configmap: 'ConfigMap',
  hpa: 'HorizontalPodAutoscaler',
  scaledobject: 'ScaledObject',
  pvc: 'PersistentVolumeClaim',
  pod: 'Pod',
}

/** Every `kubectl …` command in the document's shell blocks, continuation lines joined. */
function kubectlCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!)
  return blocks
    .flatMap((block) => block.replaceAll('\\\n', ' ').split('\n'))
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(/\$\(|\||;|&&/))
    .map((part) => part.trim().replace(/^\(+/, ''))
    .filter((part) => part.startsWith('kubectl '))
}

/** A literal name: not a placeholder (`<node>`) nor a shell expansion. */
const literal = (word: string | undefined): word is string => !!word && /^[a-z0-9][a-z0-9.-]*$/.test(word)

/** What a command names that must exist, and where. */
function references(command: string) {
  const words = command.replaceAll(/["']/g, '').split(/\s+/)
  const namespace = words[words.indexOf('-n') + 1]
  const objects: Array<{ kind: string; name: string }> = []
  const labels: string[] = []
  for (const [index, word] of words.entries()) {
    const slash = /^([a-z]+)\/(.+)$/.exec(word)
    if (slash && KINDS[slash[1]!] && literal(slash[2]))
      objects.push({ kind: KINDS[slash[1]!]!, name: slash[2] })
    // `patch configmap media`, `delete pod queue-0`, `exec queue-0 -- …`
    if (KINDS[word] && literal(words[index + 1]) && !words[index - 1]?.startsWith('-'))
      objects.push({ kind: KINDS[word], name: words[index + 1]! })
    if (word === 'exec' && literal(words[index + 1])) objects.push({ kind: 'Pod', name: words[index + 1]! })
  }
  const selector = /-l (?:app=([a-z0-9-]+)|app in \(([^)]*)\))/.exec(command.replaceAll(/["']/g, ''))
  if (selector) labels.push(...(selector[1] ? [selector[1]] : selector[2]!.split(',').map((s) => s.trim())))
  return { namespace: words.includes('-n') ? namespace : undefined, objects, labels }
}

/** What the document names that the rendered objects do not hold, one line each. */
function operationsProblems(markdown: string, objects: K8sObject[]): string[] {
  const namespaces = new Set(
    objects.map((o) => (o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace)),
  )
  const exists = (kind: string, namespace: string, name: string) =>
    objects.some((o) => {
      if (o.metadata.namespace !== namespace) return false
      if (kind === 'Pod')
        return o.kind === 'StatefulSet' && new RegExp(`^${o.metadata.name}-\\d+$`).test(name)
      if (kind === 'PersistentVolumeClaim' && o.kind === 'StatefulSet') {
        const claims = (o.spec as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> })
          .volumeClaimTemplates
        if (claims?.some((c) => new RegExp(`^${c.metadata.name}-${o.metadata.name}-\\d+$`).test(name)))
          return true
      }
      return o.kind === kind && o.metadata.name === name
    })
  const appLabels = (namespace: string | undefined) =>
    new Set(
      workloads(objects)
        .filter((w) => namespace === undefined || w.namespace === namespace)
        .map((w) => w.labels.app),
    )
  return kubectlCommands(markdown).flatMap((command) => {
    const { namespace, objects: named, labels } = references(command)
    if (namespace && HELM_NAMESPACES.has(namespace)) return []
    if (namespace && !literal(namespace)) return []
    if (namespace && !namespaces.has(namespace)) return [`${command}: no namespace ${namespace}`]
    return [
      ...(namespace ? named : [])
        .filter(({ kind, name }) => !exists(kind, namespace!, name))
        .map(({ kind, name }) => `${command}: no ${kind} ${namespace}/${name}`),
      ...labels
        .filter((label) => !appLabels(namespace).has(label))
        .map(
          (label) => `${command}: no workload labelled app=${label}${namespace ? ` in ${namespace}` : ''}`,
        ),
    ]
  })
}

let workdir: string
let objects: K8sObject[]
before(() => {
  workdir = mkdtempSync(path.join(tmpdir(), 'convoy-operations-'))
  cpSync(K8S, workdir, { recursive: true })
  const secrets = path.join(workdir, 'overlays/local/make-secrets.sh')
  if (existsSync(secrets)) execFileSync('bash', [secrets], { cwd: path.dirname(secrets), stdio: 'ignore' })
  // The optional components, as the local overlay lists them (commented out) for a user to add.
  const local = readFileSync(path.join(workdir, 'overlays/local/kustomization.yaml'), 'utf8')
  const optional = [...local.matchAll(/^\s*# - \.\.\/\.\.\/components\/([a-z-]+)$/gm)].map((m) => m[1]!)
  const withComponent = (component: string) => {
    const dir = path.join(workdir, 'overlays', `local+${component}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `resources:\n  - ../local\ncomponents:\n  - ../../components/${component}\n`,
    )
    return build(dir)
  }
  objects = [
    ...build(path.join(workdir, 'overlays/local')),
    ...build(path.join(workdir, 'overlays/aws')),
    ...optional.flatMap(withComponent),
  ]
})
after(() => rmSync(workdir, { recursive: true, force: true }))

test("every namespace, object and pod label docs/operations.md's kubectl commands name exists", () => {
  const markdown = readFileSync(OPERATIONS, 'utf8')
  assert.ok(kubectlCommands(markdown).length > 30, 'the commands are found')
  assert.deepEqual(operationsProblems(markdown, objects), [])
})

test('a wrong workload, pod, namespace or label in a command is found', () => {
  const seeded = [
    ['kubectl -n queue scale statefulset/rabbitmq --replicas=0', 'no StatefulSet queue/rabbitmq'],
    ['kubectl -n tracker get pods -w', 'no namespace tracker'],
    [
      'kubectl -n position-tracker delete pod position-tracker-postgres',
      'no Pod position-tracker/position-tracker-postgres',
    ],
    ['kubectl -n position-tracker exec postgres-0 -- psql', 'no Pod position-tracker/postgres-0'],
    ['kubectl -n media patch configmap media-config --type=merge', 'no ConfigMap media/media-config'],
    ["kubectl get pods -A -l 'app in (gateway,tracker)' -w", 'no workload labelled app=tracker'],
    ['kubectl -n gateway get pods -l app=web -w', 'no workload labelled app=web in gateway'],
  ]
  for (const [command, problem] of seeded) {
    const problems = operationsProblems('```sh\n' + command + '\n```\n', objects)
    assert.ok(
      problems.some((p) => p.includes(problem!)),
      `${command}: ${problems.join('; ') || 'no problem found'}`,
    )
  }
  const good = [
    'kubectl -n position-tracker get pvc data-position-tracker-postgres-0',
    'kubectl -n queue port-forward pod/queue-0 15672:15672',
    'kubectl -n monitoring port-forward svc/anything 9090',
  ]
  for (const command of good)
    assert.deepEqual(operationsProblems('```sh\n' + command + '\n```\n', objects), [])
})
