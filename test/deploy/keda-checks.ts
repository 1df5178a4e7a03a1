/**
 * KEDA's kinds beyond their schema, checked without a cluster. Their schema is checked with the
 * other kinds' (`@kubernetes-models/keda`, in ./k8s-checks.ts); what follows is what KEDA refuses
 * or misreads in an object its schema accepts: replica bounds out of order, a rabbitmq trigger
 * without its queue or with a mode, value or protocol its scaler does not take. And, like the core
 * kinds' references, what a ScaledObject names: the workload it scales, the TriggerAuthentication
 * it uses, the Secrets and keys that one reads, and the broker's address for a rabbitmq trigger.
 */
import type { K8sObject } from './k8s-checks.ts'

interface Trigger {
  type: string
  metadata?: Record<string, string>
  authenticationRef?: { name: string; kind?: string }
}
interface ScaledObjectSpec {
  scaleTargetRef: { apiVersion?: string; kind?: string; name: string }
  minReplicaCount?: number
  maxReplicaCount?: number
  idleReplicaCount?: number
  triggers?: Trigger[]
}
interface AuthSpec {
  secretTargetRef?: Array<{ parameter: string; name: string; key: string }>
  configMapTargetRef?: Array<{ parameter: string; name: string; key: string }>
  env?: Array<{ parameter: string; name: string }>
}

/**
 * What KEDA checks in a ScaledObject beyond its schema: the replica bounds (its admission webhook)
 * and each rabbitmq trigger's parameters (the scaler, keda.sh/docs/latest/scalers/rabbitmq-queue).
 */
export function scaledObjectRules(object: K8sObject): string[] {
  const problems: string[] = []
  const { minReplicaCount, maxReplicaCount, idleReplicaCount, triggers } = (object.spec ??
    {}) as ScaledObjectSpec
  if ((minReplicaCount ?? 0) > (maxReplicaCount ?? 100))
    problems.push(`spec: minReplicaCount ${minReplicaCount} is above maxReplicaCount ${maxReplicaCount}`)
  if (idleReplicaCount !== undefined && idleReplicaCount >= (minReplicaCount ?? 0))
    problems.push('spec.idleReplicaCount: must be below minReplicaCount')
  // A wrong shape is the schema's to report: here it is only not read.
  const list: Array<Trigger | undefined> = Array.isArray(triggers) ? triggers : []
  list.forEach((trigger, index) => {
    if (trigger?.type !== 'rabbitmq') return
    const where = `spec.triggers[${index}].metadata`
    const { queueName, mode, value, protocol } = trigger.metadata ?? {}
    if (!queueName) problems.push(`${where}.queueName: required by the rabbitmq trigger`)
    if (mode !== undefined && !['QueueLength', 'MessageRate'].includes(mode))
      problems.push(`${where}.mode: QueueLength or MessageRate, not ${mode}`)
    if (mode !== undefined && !(Number(value) > 0))
      problems.push(`${where}.value: a positive number is required with mode ${mode}`)
    if (mode === undefined && value !== undefined) problems.push(`${where}.value: needs a mode`)
    if (protocol !== undefined && !['auto', 'amqp', 'http'].includes(protocol))
      problems.push(`${where}.protocol: auto, amqp or http, not ${protocol}`)
  })
  return problems
}

/** What the reference checks lend: lookups over the build, the Secrets' keys, object names. */
export interface Lookups {
  find: (
    objects: K8sObject[],
    kind: string,
    namespace: string | undefined,
    name: string,
  ) => K8sObject | undefined
  secretKeys: (objects: K8sObject[], namespace: string, name: string) => Set<string> | undefined
  id: (object: K8sObject) => string
}

/**
 * What a ScaledObject names resolves: its target workload (Deployment unless told; it sets no
 * `replicas`, which KEDA's HPA owns, and no other HPA scales it), the TriggerAuthentication of each
 * trigger and the Secrets and keys that one reads, and a broker address for a rabbitmq trigger.
 */
export function kedaReferenceProblems(objects: K8sObject[], { find, secretKeys, id }: Lookups): string[] {
  const problems: string[] = []
  for (const scaled of objects.filter((o) => o.kind === 'ScaledObject')) {
    const namespace = scaled.metadata.namespace
    const spec = (scaled.spec ?? {}) as ScaledObjectSpec
    const { kind = 'Deployment', name } = spec.scaleTargetRef ?? {}
    const target = name ? find(objects, kind, namespace, name) : undefined
    if (!target) problems.push(`${id(scaled)}: its target ${kind} ${name} does not exist`)
    else if ((target.spec as { replicas?: number } | undefined)?.replicas !== undefined)
      problems.push(`${id(target)}: sets replicas although ${id(scaled)} owns the count`)
    for (const hpa of objects.filter(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === namespace,
    )) {
      const ref = (hpa.spec as { scaleTargetRef?: { kind: string; name: string } }).scaleTargetRef
      if (ref?.kind === kind && ref.name === name)
        problems.push(`${id(hpa)}: scales ${kind} ${name} too, against the HPA of ${id(scaled)}`)
    }

    for (const trigger of spec.triggers ?? []) {
      const at = `${id(scaled)} trigger ${trigger.type}`
      const parameters = new Set(Object.keys(trigger.metadata ?? {}))
      const ref = trigger.authenticationRef
      if (ref) {
        const authKind = ref.kind ?? 'TriggerAuthentication'
        const auth = find(
          objects,
          authKind,
          authKind === 'TriggerAuthentication' ? namespace : undefined,
          ref.name,
        )
        if (!auth) problems.push(`${at}: ${authKind} ${ref.name} does not exist`)
        const authSpec = (auth?.spec ?? {}) as AuthSpec
        for (const entry of [
          ...(authSpec.secretTargetRef ?? []),
          ...(authSpec.configMapTargetRef ?? []),
          ...(authSpec.env ?? []),
        ])
          parameters.add(entry.parameter)
      }
      if (trigger.type === 'rabbitmq' && !parameters.has('host') && !parameters.has('hostFromEnv'))
        problems.push(
          `${at}: no broker address (host in its metadata or its TriggerAuthentication, or hostFromEnv)`,
        )
      const fromEnv = trigger.metadata?.hostFromEnv
      if (fromEnv && target) {
        const containers =
          (target.spec as { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string }> }> } } })
            .template?.spec?.containers ?? []
        if (!containers.some((c) => c.env?.some((e) => e.name === fromEnv)))
          problems.push(`${at}: hostFromEnv ${fromEnv} is not a variable of ${id(target)}`)
      }
    }
  }

  for (const auth of objects.filter((o) => o.kind === 'TriggerAuthentication')) {
    const namespace = auth.metadata.namespace ?? 'default'
    const spec = (auth.spec ?? {}) as AuthSpec
    for (const ref of spec.secretTargetRef ?? []) {
      const keys = secretKeys(objects, namespace, ref.name)
      if (!keys)
        problems.push(
          `${id(auth)}: parameter ${ref.parameter} needs Secret ${ref.name}, which does not exist`,
        )
      else if (!keys.has(ref.key))
        problems.push(
          `${id(auth)}: parameter ${ref.parameter} needs key ${ref.key} of Secret ${ref.name}, which has ${[...keys].join(', ')}`,
        )
    }
    for (const ref of spec.configMapTargetRef ?? []) {
      const map = find(objects, 'ConfigMap', namespace, ref.name)
      if (!map || !(ref.key in ((map.data as object) ?? {})))
        problems.push(`${id(auth)}: parameter ${ref.parameter} needs key ${ref.key} of ConfigMap ${ref.name}`)
    }
  }
  return problems
}
