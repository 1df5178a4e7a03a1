/**
 * What a cluster would reject or break, found offline in the objects `kubectl kustomize` builds:
 * schema errors, dangling references, Pod Security `restricted` violations, missing probes or
 * resources, and which network edges the NetworkPolicies really allow. Each check returns the
 * problems it found, in words that name the object; an empty list means none.
 */
import { execFileSync } from 'node:child_process'
import { parseAllDocuments } from 'yaml'
import { kedaReferenceProblems, scaledObjectRules } from './keda-checks.ts'

/** A Kubernetes object as built: only the fields the checks read are typed. */
export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [field: string]: unknown
}

type Labels = Record<string, string>
interface Port {
  name?: string
  containerPort: number
  protocol?: string
}
interface Probe {
  httpGet?: { path?: string; port: number | string }
  tcpSocket?: { port: number | string }
  exec?: unknown
}
interface Container {
  name: string
  image?: string
  ports?: Port[]
  env?: Array<{
    name: string
    value?: string
    valueFrom?: Record<string, { name?: string; key?: string } | undefined>
  }>
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>
  readinessProbe?: Probe
  livenessProbe?: Probe
  startupProbe?: Probe
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: SecurityContext
  volumeMounts?: Array<{ name: string; mountPath: string }>
}
interface SecurityContext {
  runAsNonRoot?: boolean
  runAsUser?: number
  allowPrivilegeEscalation?: boolean
  privileged?: boolean
  readOnlyRootFilesystem?: boolean
  capabilities?: { drop?: string[]; add?: string[] }
  seccompProfile?: { type?: string }
}
interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  serviceAccountName?: string
  securityContext?: SecurityContext
  hostNetwork?: boolean
  hostPID?: boolean
  hostIPC?: boolean
  volumes?: Array<Record<string, unknown> & { name: string }>
  topologySpreadConstraints?: Array<{ labelSelector?: LabelSelector; matchLabelKeys?: string[] }>
}
interface LabelSelector {
  matchLabels?: Labels
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>
}
/** A pod template of a Deployment, StatefulSet, DaemonSet or Job, with where it comes from. */
export interface Workload {
  object: K8sObject
  namespace: string
  labels: Labels
  pod: PodSpec
}

export const id = (o: K8sObject) =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`
const spec = <T>(o: K8sObject) => (o.spec ?? {}) as T
const matches = (selector: Labels | undefined, labels: Labels | undefined) =>
  !!selector &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value)
/** A full label selector (matchLabels and matchExpressions) against labels; an empty one selects all. */
const selectorMatches = ({ matchLabels = {}, matchExpressions = [] }: LabelSelector, labels: Labels) =>
  Object.entries(matchLabels).every(([key, value]) => labels[key] === value) &&
  matchExpressions.every(({ key, operator, values = [] }) => {
    const value = labels[key]
    if (operator === 'In') return value !== undefined && values.includes(value)
    if (operator === 'NotIn') return value === undefined || !values.includes(value)
    if (operator === 'Exists') return value !== undefined
    return operator === 'DoesNotExist' && value === undefined
  })

/** Builds an overlay with kubectl's Kustomize and parses the objects. */
export function build(dir: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null)
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job']

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((object) => {
      const template = spec<{ template: { metadata?: { labels?: Labels }; spec: PodSpec } }>(object).template
      return {
        object,
        namespace: object.metadata.namespace ?? 'default',
        labels: template.metadata?.labels ?? {},
        pod: template.spec,
      }
    })
}

const containersOf = (w: Workload) => [...(w.pod.initContainers ?? []), ...w.pod.containers]
export const find = (objects: K8sObject[], kind: string, namespace: string | undefined, name: string) =>
  objects.find(
    (o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? undefined) === namespace,
  )

// ── Schema ───────────────────────────────────────────────────────────────────────────────────

type Model = new (data: unknown) => { validate(): void }
const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'storage.k8s.io/v1': 'kubernetes-models/storage.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
  'gateway.networking.k8s.io/v1': '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1',
  'external-secrets.io/v1': '@kubernetes-models/external-secrets/external-secrets.io/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'karpenter.sh/v1': '@kubernetes-models/karpenter/karpenter.sh/v1',
  'karpenter.k8s.aws/v1': '@kubernetes-models/karpenter/karpenter.k8s.aws/v1',
}

/**
 * API groups with no published model package: the AWS Load Balancer Controller's configuration
 * kinds. Kustomize has parsed them; their fields are the controller's to check.
 */
export const UNMODELLED_GROUPS = ['gateway.k8s.aws']

/**
 * What a kind's controller refuses in an object its schema accepts, checked with the schema:
 * KEDA's replica bounds and its rabbitmq scaler's parameters (./keda-checks.ts).
 */
const RULES: Record<string, (object: K8sObject) => string[]> = {
  'keda.sh/v1alpha1 ScaledObject': scaledObjectRules,
}

/** Every object against the JSON schema of its apiVersion and kind (core and the CRDs used), and RULES. */
export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = []
  for (const object of objects) {
    if (UNMODELLED_GROUPS.includes(object.apiVersion.split('/')[0]!)) continue
    const module = MODULES[object.apiVersion]
    const model = module ? ((await import(module)) as Record<string, Model>)[object.kind] : undefined
    if (!model) {
      problems.push(`${id(object)}: no schema known for ${object.apiVersion} ${object.kind}`)
      continue
    }
    try {
      new model(withUnwrappedSecretData(object)).validate()
    } catch (error) {
      problems.push(`${id(object)}: ${error instanceof Error ? error.message : String(error)}`)
    }
    const rules = RULES[`${object.apiVersion} ${object.kind}`]
    problems.push(...(rules?.(object) ?? []).map((problem) => `${id(object)}: ${problem}`))
  }
  return problems
}

/**
 * Kustomize's secretGenerator wraps base64 at 70 characters; the API server (Go's decoder)
 * skips the newlines, the schema's strict `format: byte` does not. Validate what the server reads.
 */
function withUnwrappedSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([key, value]) => [
      key,
      value.replace(/\s+/g, ''),
    ]),
  )
  return { ...object, data }
}

// ── References ───────────────────────────────────────────────────────────────────────────────

/** The keys a Secret will hold: its own data, or what the ExternalSecret producing it writes. */
export function secretKeys(objects: K8sObject[], namespace: string, name: string): Set<string> | undefined {
  const secret = find(objects, 'Secret', namespace, name)
  if (secret) {
    return new Set([
      ...Object.keys((secret.data as object) ?? {}),
      ...Object.keys((secret.stringData as object) ?? {}),
    ])
  }
  const external = objects.find(
    (o) =>
      o.kind === 'ExternalSecret' &&
      o.metadata.namespace === namespace &&
      (spec<{ target?: { name?: string } }>(o).target?.name ?? o.metadata.name) === name,
  )
  if (!external) return undefined
  const { data = [], target } = spec<{
    data?: Array<{ secretKey: string }>
    target?: { template?: { data?: Record<string, string> } }
  }>(external)
  return new Set([...data.map((d) => d.secretKey), ...Object.keys(target?.template?.data ?? {})])
}

function portExists(containers: Container[], port: number | string): boolean {
  return containers.some((c) =>
    (c.ports ?? []).some((p) => (typeof port === 'string' ? p.name === port : p.containerPort === port)),
  )
}

/** Every name one object gives for another resolves in the same build. */
export function referenceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = []
  const pods = workloads(objects)
  const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name))

  for (const object of objects) {
    const ns = object.metadata.namespace
    if (ns && !namespaces.has(ns)) problems.push(`${id(object)}: namespace ${ns} is not in the build`)
  }

  for (const w of pods) {
    const where = id(w.object)
    const account = w.pod.serviceAccountName
    if (account && !find(objects, 'ServiceAccount', w.namespace, account)) {
      problems.push(`${where}: ServiceAccount ${account} does not exist`)
    }
    const claimTemplates = new Set(
      (spec<{ volumeClaimTemplates?: K8sObject[] }>(w.object).volumeClaimTemplates ?? []).map(
        (t) => t.metadata.name,
      ),
    )
    for (const volume of w.pod.volumes ?? []) {
      const ref = (kind: string, name: string | undefined) => {
        if (name && !find(objects, kind, w.namespace, name)) {
          problems.push(`${where}: volume ${volume.name} needs ${kind} ${name}, which does not exist`)
        }
      }
      ref('ConfigMap', (volume.configMap as { name?: string } | undefined)?.name)
      ref(
        'PersistentVolumeClaim',
        (volume.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName,
      )
      const secret = (volume.secret as { secretName?: string } | undefined)?.secretName
      if (secret && !secretKeys(objects, w.namespace, secret)) {
        problems.push(`${where}: volume ${volume.name} needs Secret ${secret}, which does not exist`)
      }
    }
    for (const container of containersOf(w)) {
      const at = `${where} container ${container.name}`
      for (const mount of container.volumeMounts ?? []) {
        const declared =
          (w.pod.volumes ?? []).some((v) => v.name === mount.name) || claimTemplates.has(mount.name)
        if (!declared) problems.push(`${at}: mounts volume ${mount.name}, which the pod does not declare`)
      }
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef && !find(objects, 'ConfigMap', w.namespace, from.configMapRef.name)) {
          problems.push(`${at}: envFrom ConfigMap ${from.configMapRef.name} does not exist`)
        }
        if (from.secretRef && !secretKeys(objects, w.namespace, from.secretRef.name)) {
          problems.push(`${at}: envFrom Secret ${from.secretRef.name} does not exist`)
        }
      }
      for (const variable of container.env ?? []) {
        const secretRef = variable.valueFrom?.secretKeyRef
        if (secretRef?.name) {
          const keys = secretKeys(objects, w.namespace, secretRef.name)
          if (!keys)
            problems.push(`${at}: ${variable.name} needs Secret ${secretRef.name}, which does not exist`)
          else if (secretRef.key && !keys.has(secretRef.key)) {
            problems.push(
              `${at}: ${variable.name} needs key ${secretRef.key} of Secret ${secretRef.name}, which has ${[...keys].join(', ')}`,
            )
          }
        }
        const configRef = variable.valueFrom?.configMapKeyRef
        if (configRef?.name) {
          const map = find(objects, 'ConfigMap', w.namespace, configRef.name)
          if (!map)
            problems.push(`${at}: ${variable.name} needs ConfigMap ${configRef.name}, which does not exist`)
          else if (configRef.key && !(configRef.key in ((map.data as object) ?? {}))) {
            problems.push(`${at}: ${variable.name} needs key ${configRef.key} of ConfigMap ${configRef.name}`)
          }
        }
      }
      for (const [kind, probe] of [
        ['readiness', container.readinessProbe],
        ['liveness', container.livenessProbe],
        ['startup', container.startupProbe],
      ] as const) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port
        if (port !== undefined && !portExists([container], port)) {
          problems.push(`${at}: the ${kind} probe's port ${port} is not a port of the container`)
        }
      }
      const image = container.image ?? ''
      if (!/:[\w][\w.-]*$|@sha256:[a-f0-9]{64}$/.test(image) || /:latest$/.test(image)) {
        problems.push(
          `${at}: image ${JSON.stringify(image)} is not pinned (a tag other than latest, or a digest)`,
        )
      }
    }
    for (const template of spec<{ volumeClaimTemplates?: K8sObject[] }>(w.object).volumeClaimTemplates ??
      []) {
      const storageClass = spec<{ storageClassName?: string }>(template).storageClassName
      if (storageClass && !find(objects, 'StorageClass', undefined, storageClass)) {
        problems.push(
          `${where}: volume claim ${template.metadata.name} asks for StorageClass ${storageClass}, which is not in the build`,
        )
      }
    }
  }

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const { selector, ports = [] } = spec<{
      selector?: Labels
      ports?: Array<{ name?: string; port: number; targetPort?: number | string }>
    }>(service)
    if (!selector) continue // a Service without selector is managed by hand: not ours
    const targets = pods.filter(
      (w) => w.namespace === service.metadata.namespace && matches(selector, w.labels),
    )
    if (targets.length === 0) {
      problems.push(`${id(service)}: its selector ${JSON.stringify(selector)} matches no pod template`)
      continue
    }
    for (const port of ports) {
      const target = port.targetPort ?? port.port
      for (const w of targets) {
        if (!portExists(containersOf(w), target)) {
          problems.push(
            `${id(service)}: port ${port.name ?? port.port} targets ${target}, which ${id(w.object)} does not expose`,
          )
        }
      }
    }
  }

  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const { scaleTargetRef } = spec<{ scaleTargetRef: { kind: string; name: string } }>(hpa)
    const target = find(objects, scaleTargetRef.kind, hpa.metadata.namespace, scaleTargetRef.name)
    if (!target)
      problems.push(`${id(hpa)}: its target ${scaleTargetRef.kind} ${scaleTargetRef.name} does not exist`)
    else if (spec<{ replicas?: number }>(target).replicas !== undefined) {
      problems.push(`${id(target)}: sets replicas although ${id(hpa)} owns the count`)
    }
  }

  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const selector = spec<{ selector?: { matchLabels?: Labels } }>(pdb).selector?.matchLabels
    if (!pods.some((w) => w.namespace === pdb.metadata.namespace && matches(selector, w.labels))) {
      problems.push(`${id(pdb)}: its selector matches no pod template`)
    }
  }

  for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const { selector, endpoints = [] } = spec<{
      selector?: { matchLabels?: Labels }
      endpoints?: Array<{ port?: string }>
    }>(monitor)
    const services = objects.filter(
      (o) =>
        o.kind === 'Service' &&
        o.metadata.namespace === monitor.metadata.namespace &&
        matches(selector?.matchLabels, o.metadata.labels),
    )
    if (services.length === 0) problems.push(`${id(monitor)}: its selector matches no Service`)
    // Prometheus labels the series of a target with `service`, the Service's name, over the label
    // of that name each Convoy service sets on its own (which becomes exported_service): the rules
    // and dashboards read it, so a service's Service is named like it (and its namespace).
    if (endpoints.some((endpoint) => endpoint.port === 'ops'))
      for (const service of services.filter((s) => s.metadata.name !== s.metadata.namespace))
        problems.push(
          `${id(monitor)}: scrapes the Service ${service.metadata.name}, whose name is not its service's (${service.metadata.namespace}): its series would carry service="${service.metadata.name}"`,
        )
    for (const endpoint of endpoints) {
      const named = services.some((service) =>
        spec<{ ports?: Array<{ name?: string }> }>(service).ports?.some((p) => p.name === endpoint.port),
      )
      if (services.length > 0 && !named)
        problems.push(`${id(monitor)}: no Service it selects has a port named ${endpoint.port}`)
    }
  }

  problems.push(...kedaReferenceProblems(objects, { find, secretKeys, id }))

  for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
    const rules =
      spec<{ rules?: Array<{ backendRefs?: Array<{ name: string; namespace?: string; port?: number }> }> }>(
        route,
      ).rules ?? []
    for (const ref of rules.flatMap((rule) => rule.backendRefs ?? [])) {
      const service = find(objects, 'Service', ref.namespace ?? route.metadata.namespace, ref.name)
      if (!service) problems.push(`${id(route)}: backend Service ${ref.name} does not exist`)
      else if (!spec<{ ports?: Array<{ port: number }> }>(service).ports?.some((p) => p.port === ref.port)) {
        problems.push(`${id(route)}: backend ${ref.name} has no port ${ref.port}`)
      }
    }
  }
  return problems
}

// ── Policy ───────────────────────────────────────────────────────────────────────────────────

const ALLOWED_VOLUMES = [
  'configMap',
  'emptyDir',
  'secret',
  'persistentVolumeClaim',
  'projected',
  'downwardAPI',
  'ephemeral',
  'csi',
]

/**
 * The Pod Security `restricted` profile, plus the project's rules: read-only root filesystem,
 * requests and limits (cpu and memory), the three probes, rolling updates that never take a
 * ready pod away first, and pods spread across nodes.
 */
export function policyProblems(objects: K8sObject[]): string[] {
  const problems: string[] = []
  for (const namespace of objects.filter((o) => o.kind === 'Namespace')) {
    if (namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') {
      problems.push(`${id(namespace)}: does not enforce the Pod Security restricted profile`)
    }
  }
  for (const w of workloads(objects)) {
    const where = id(w.object)
    const pod = w.pod
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: shares a host namespace`)
    for (const volume of pod.volumes ?? []) {
      const type = Object.keys(volume).find((key) => key !== 'name')
      if (!type || !ALLOWED_VOLUMES.includes(type))
        problems.push(`${where}: volume ${volume.name} of type ${type} is not allowed`)
    }
    const rollout = spec<{
      strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } }
    }>(w.object).strategy
    if (
      w.object.kind === 'Deployment' &&
      (rollout?.type !== 'RollingUpdate' || String(rollout.rollingUpdate?.maxUnavailable) !== '0')
    ) {
      problems.push(`${where}: rolls out without RollingUpdate maxUnavailable 0`)
    }
    // The services' replicas spread over nodes; a single-replica database has nothing to spread.
    if (w.object.kind === 'Deployment' && !pod.topologySpreadConstraints?.length) {
      problems.push(`${where}: no topology spread across nodes`)
    }
    // A constraint counts the pod's own kind: its selector takes the pod, and the labels it copies
    // from the pod are there (pod-template-hash is added by the ReplicaSet). The API server wants a
    // labelSelector beside matchLabelKeys, and no key in both.
    for (const { labelSelector, matchLabelKeys = [] } of pod.topologySpreadConstraints ?? []) {
      if (!labelSelector || !selectorMatches(labelSelector, w.labels))
        problems.push(`${where}: a topology spread constraint does not select the pod itself`)
      const selected = [
        ...Object.keys(labelSelector?.matchLabels ?? {}),
        ...(labelSelector?.matchExpressions ?? []).map((e) => e.key),
      ]
      for (const key of matchLabelKeys) {
        if (key !== 'pod-template-hash' && !(key in w.labels))
          problems.push(`${where}: topology spread takes label ${key} from the pod, which has none`)
        if (selected.includes(key))
          problems.push(`${where}: topology spread has ${key} in both matchLabelKeys and labelSelector`)
      }
    }
    for (const container of containersOf(w)) {
      const at = `${where} container ${container.name}`
      const context = { ...pod.securityContext, ...container.securityContext }
      if (context.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`)
      if (typeof context.runAsUser !== 'number' || context.runAsUser === 0)
        problems.push(`${at}: no numeric non-root runAsUser`)
      if (container.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`)
      if (container.securityContext?.privileged) problems.push(`${at}: is privileged`)
      if (!container.securityContext?.capabilities?.drop?.includes('ALL'))
        problems.push(`${at}: does not drop ALL capabilities`)
      if ((container.securityContext?.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) {
        problems.push(`${at}: adds capabilities`)
      }
      if (!['RuntimeDefault', 'Localhost'].includes(context.seccompProfile?.type ?? ''))
        problems.push(`${at}: no RuntimeDefault seccomp profile`)
      if (container.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${at}: the root filesystem is writable`)
      for (const [side, resources] of [
        ['requests', container.resources?.requests],
        ['limits', container.resources?.limits],
      ] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (!resources?.[resource]) problems.push(`${at}: no ${resource} ${side}`)
        }
      }
      // A Job's container runs to its end: nothing to probe.
      if (pod.initContainers?.includes(container) || w.object.kind === 'Job') continue
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        if (!container[probe]) problems.push(`${at}: no ${probe}`)
      }
      // Our services: readiness on /readyz (dependencies), liveness on /healthz (the process).
      if (container.ports?.some((p) => p.name === 'http') && container.readinessProbe?.httpGet) {
        if (container.readinessProbe.httpGet.path !== '/readyz')
          problems.push(`${at}: readiness is not on /readyz`)
        if (container.livenessProbe?.httpGet?.path !== '/healthz')
          problems.push(`${at}: liveness is not on /healthz`)
      }
    }
  }
  return problems
}

// ── Network edges ────────────────────────────────────────────────────────────────────────────

interface Peer {
  /** `app` label, or a pseudo name: `internet`, `monitoring`, `keda`, `kube-dns`, … */
  name: string
  namespace?: string
  /** Outside the cluster: its address, which `ipBlock`s are matched against. */
  ip?: string
  labels: Labels
  namespaceLabels: Labels
  ports: Port[]
}
interface PolicyPeer {
  namespaceSelector?: { matchLabels?: Labels }
  podSelector?: { matchLabels?: Labels }
  ipBlock?: { cidr: string; except?: string[] }
}
interface PolicyRule {
  from?: PolicyPeer[]
  to?: PolicyPeer[]
  ports?: Array<{ port?: number | string; protocol?: string }>
}
interface Policy {
  namespace: string
  podSelector: Labels
  types: string[]
  ingress: PolicyRule[]
  egress: PolicyRule[]
}

const selects = (selector: Labels | undefined, labels: Labels) =>
  !selector || Object.entries(selector).every(([key, value]) => labels[key] === value)

/** Whether an IPv4 address is in a CIDR block; an IPv6 block holds no IPv4 address. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/')
  const toNumber = (address: string) => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  if (!/^\d+(\.\d+){3}$/.test(base) || !/^\d+(\.\d+){3}$/.test(ip)) return false
  const size = 2 ** (32 - Number(bits))
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size)
}

function peerMatches(peer: PolicyPeer, other: Peer, policyNamespace: string): boolean {
  // ipBlock is for addresses outside the cluster (the API's advice; what pods' addresses do with
  // it depends on the network plugin, so Convoy never relies on it for pods).
  if (peer.ipBlock) {
    const { cidr, except = [] } = peer.ipBlock
    return !!other.ip && inCidr(other.ip, cidr) && !except.some((block) => inCidr(other.ip!, block))
  }
  if (other.namespace === undefined) return false
  const inNamespace = peer.namespaceSelector
    ? selects(peer.namespaceSelector.matchLabels, other.namespaceLabels)
    : other.namespace === policyNamespace
  return inNamespace && selects(peer.podSelector?.matchLabels, other.labels)
}

function ruleAllows(
  rule: PolicyRule,
  peers: PolicyPeer[] | undefined,
  other: Peer,
  port: Port,
  namespace: string,
) {
  const peerOk =
    peers === undefined || peers.length === 0 || peers.some((p) => peerMatches(p, other, namespace))
  const portOk =
    !rule.ports?.length ||
    rule.ports.some(
      (p) =>
        (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP') &&
        (p.port === undefined || p.port === port.name || p.port === port.containerPort),
    )
  return peerOk && portOk
}

function allowed(
  policies: Policy[],
  direction: 'ingress' | 'egress',
  self: Peer,
  other: Peer,
  port: Port,
): boolean {
  if (self.namespace === undefined) return true // outside the cluster: not ours to police
  const mine = policies.filter(
    (p) =>
      p.namespace === self.namespace &&
      selects(p.podSelector, self.labels) &&
      p.types.includes(direction === 'ingress' ? 'Ingress' : 'Egress'),
  )
  if (mine.length === 0) return true // no policy isolates this pod in this direction
  return mine.some((p) =>
    p[direction].some((rule) =>
      ruleAllows(rule, direction === 'ingress' ? rule.from : rule.to, other, port, self.namespace!),
    ),
  )
}

/**
 * Places outside the cluster a pod might call, each at an address `ipBlock`s are matched against:
 * the internet (a documentation address, TEST-NET-2) on the ports a service could want there
 * (a mail server's, an API's), and the node-local link addresses of the EKS Pod Identity Agent and
 * the EC2 instance metadata service (which must stay out of reach: it hands out the node's role).
 */
const EXTERNAL: Peer[] = [
  {
    name: 'internet',
    ip: '198.51.100.7',
    labels: {},
    namespaceLabels: {},
    ports: [
      { name: 'http', containerPort: 80 },
      { name: 'https', containerPort: 443 },
      { name: 'smtp', containerPort: 25 },
      { name: 'submissions', containerPort: 465 },
      { name: 'submission', containerPort: 587 },
    ],
  },
  {
    name: 'eks-pod-identity-agent',
    ip: '169.254.170.23',
    labels: {},
    namespaceLabels: {},
    ports: [{ name: 'http', containerPort: 80 }],
  },
  {
    name: 'instance-metadata',
    ip: '169.254.169.254',
    labels: {},
    namespaceLabels: {},
    ports: [{ name: 'http', containerPort: 80 }],
  },
]

/**
 * A load balancer in the cluster's VPC (an ALB's interface), at an address of the VPC's CIDR
 * (10.0.0.0/16, the aws overlay's and deploy/terraform's) that no pod has.
 */
const LOAD_BALANCER: Peer = {
  name: 'load-balancer',
  ip: '10.0.64.10',
  labels: {},
  namespaceLabels: {},
  ports: [],
}

/**
 * Every connection the NetworkPolicies allow, as `from → to:port`: between the pods of the build,
 * from outside the cluster (`internet`, `load-balancer`), from Prometheus (`monitoring`) and KEDA's operator
 * (`keda`), to the cluster DNS (`kube-dns`) and to the places outside the cluster of EXTERNAL.
 * A connection needs both the sender's egress and the receiver's ingress allowed; outside the
 * build's namespaces, only the end inside them decides.
 */
export function allowedEdges(objects: K8sObject[]): Set<string> {
  const namespaceLabels = (name: string): Labels => ({
    'kubernetes.io/metadata.name': name,
    ...(objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name)?.metadata.labels ?? {}),
  })
  const pods: Peer[] = workloads(objects).map((w) => ({
    name: w.labels.app ?? w.object.metadata.name,
    namespace: w.namespace,
    labels: w.labels,
    namespaceLabels: namespaceLabels(w.namespace),
    ports: containersOf(w).flatMap((c) => c.ports ?? []),
  }))
  const outsiders: Peer[] = [
    EXTERNAL[0]!,
    LOAD_BALANCER,
    {
      name: 'monitoring',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/name': 'prometheus' },
      namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
      ports: [],
    },
    {
      name: 'keda',
      namespace: 'keda',
      labels: { app: 'keda-operator', 'app.kubernetes.io/name': 'keda-operator' },
      namespaceLabels: { 'kubernetes.io/metadata.name': 'keda' },
      ports: [],
    },
  ]
  const dns: Peer = {
    name: 'kube-dns',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
    ports: [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    ],
  }
  const policies: Policy[] = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => {
      const s = spec<{
        podSelector?: { matchLabels?: Labels }
        policyTypes?: string[]
        ingress?: PolicyRule[]
        egress?: PolicyRule[]
      }>(o)
      return {
        namespace: o.metadata.namespace ?? 'default',
        podSelector: s.podSelector?.matchLabels ?? {},
        types: s.policyTypes ?? (s.egress ? ['Ingress', 'Egress'] : ['Ingress']),
        ingress: s.ingress ?? [],
        egress: s.egress ?? [],
      }
    })

  const edges = new Set<string>()
  for (const from of [...outsiders, ...pods]) {
    // The cluster DNS is outside the build: only the sender's egress decides.
    for (const port of dns.ports) {
      if (from.namespace && allowed(policies, 'egress', from, dns, port))
        edges.add(`${from.name} → kube-dns:${port.protocol}`)
    }
    for (const to of pods) {
      if (to === from) continue
      for (const port of to.ports) {
        if (allowed(policies, 'egress', from, to, port) && allowed(policies, 'ingress', to, from, port)) {
          edges.add(`${from.name} → ${to.name}:${port.name ?? port.containerPort}`)
        }
      }
    }
  }
  // Outside the cluster: only the sender's egress decides.
  for (const from of pods) {
    for (const to of EXTERNAL) {
      for (const port of to.ports) {
        if (allowed(policies, 'egress', from, to, port)) edges.add(`${from.name} → ${to.name}:${port.name}`)
      }
    }
  }
  return edges
}

/** A URL of a Service in the cluster, as configuration names one: its host, namespace and port. */
const CLUSTER_URL = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)/

/**
 * Every Service a workload is configured to call (a URL in a ConfigMap it takes its environment
 * from, or in a plain `env` value) through an edge the NetworkPolicies allow: a new dependency of
 * a service (notification reading auth's alert recipients) cannot be configured and then refused
 * by the network. Names each call its policies would drop, as `<variable>: <from> → <to>:<port>`.
 */
export function configuredCallProblems(objects: K8sObject[]): string[] {
  const edges = allowedEdges(objects)
  const problems: string[] = []
  for (const workload of workloads(objects)) {
    const from = workload.labels.app
    if (!from) continue
    for (const container of containersOf(workload)) {
      const values: Array<[string, string]> = [
        ...(container.envFrom ?? []).flatMap(({ configMapRef }) =>
          Object.entries(
            ((configMapRef && find(objects, 'ConfigMap', workload.namespace, configMapRef.name)?.data) ??
              {}) as Record<string, string>,
          ),
        ),
        ...(container.env ?? []).flatMap(({ name, value }): Array<[string, string]> =>
          value ? [[name, value]] : [],
        ),
      ]
      for (const [variable, value] of values) {
        const [, host, namespace, port] = CLUSTER_URL.exec(String(value)) ?? []
        if (!host) continue
        const service = find(objects, 'Service', namespace, host)
        const servicePort = service
          ? spec<{ ports?: Array<{ port: number; targetPort?: number | string }> }>(service).ports?.find(
              (p) => p.port === Number(port),
            )
          : undefined
        const to = service && spec<{ selector?: Labels }>(service).selector?.app
        if (!servicePort || !to) {
          problems.push(`${id(workload.object)} ${variable}: no Service port ${host}.${namespace}:${port}`)
          continue
        }
        const edge = `${from} → ${to}:${servicePort.targetPort ?? servicePort.port}`
        if (!edges.has(edge)) problems.push(`${id(workload.object)} ${variable}: ${edge} is not allowed`)
      }
    }
  }
  return problems
}
