/**
 * KEDA's kinds, checked without a cluster. No model package of KEDA is installed here, so their
 * shape is checked against the fields of KEDA's CRDs (keda.sh/v1alpha1; what the API server would
 * refuse or prune), and their references like the core kinds': the workload a ScaledObject scales,
 * the TriggerAuthentication it uses, the Secrets and keys that one reads, the RabbitMQ trigger's
 * queue and broker address.
 */
import type { K8sObject } from './k8s-checks.ts'

type Fields = Record<string, unknown>
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isInteger = (value: unknown) => Number.isInteger(value) && (value as number) >= 0

/** Problems of `value` against a list of allowed fields: unknown ones, and wrong types. */
function fields(
  where: string,
  value: unknown,
  allowed: Record<string, (field: unknown) => boolean>,
  required: string[] = [],
): string[] {
  if (!isObject(value)) return [`${where}: not an object`]
  const problems = required
    .filter((key) => value[key] === undefined)
    .map((key) => `${where}.${key}: required`)
  for (const [key, field] of Object.entries(value)) {
    const check = allowed[key]
    if (!check) problems.push(`${where}.${key}: unknown field`)
    else if (!check(field)) problems.push(`${where}.${key}: wrong type or value`)
  }
  return problems
}

const string = (value: unknown) => typeof value === 'string' && value !== ''
const boolean = (value: unknown) => typeof value === 'boolean'
const object = isObject

const TRIGGER_FIELDS = {
  type: string,
  name: string,
  metadata: (value: unknown) => isObject(value) && Object.values(value).every((v) => typeof v === 'string'),
  authenticationRef: object,
  metricType: (value: unknown) => ['AverageValue', 'Value', 'Utilization'].includes(value as string),
  useCachedMetrics: boolean,
}

/** A ScaledObject against its CRD: what it scales, its bounds and its triggers. */
export function scaledObjectShape(object: K8sObject): string[] {
  const spec = object.spec
  const problems = fields(
    'spec',
    spec,
    {
      scaleTargetRef: isObject,
      pollingInterval: isInteger,
      cooldownPeriod: isInteger,
      initialCooldownPeriod: isInteger,
      idleReplicaCount: isInteger,
      minReplicaCount: isInteger,
      maxReplicaCount: isInteger,
      advanced: isObject,
      fallback: isObject,
      triggers: (value) => Array.isArray(value) && value.length > 0,
    },
    ['scaleTargetRef', 'triggers'],
  )
  if (!isObject(spec)) return problems
  if (isObject(spec.scaleTargetRef)) {
    problems.push(
      ...fields(
        'spec.scaleTargetRef',
        spec.scaleTargetRef,
        { apiVersion: string, kind: string, name: string, envSourceContainerName: string },
        ['name'],
      ),
    )
  }
  const { minReplicaCount, maxReplicaCount, idleReplicaCount } = spec as Record<string, number | undefined>
  if ((minReplicaCount ?? 0) > (maxReplicaCount ?? 100))
    problems.push(`spec: minReplicaCount ${minReplicaCount} is above maxReplicaCount ${maxReplicaCount}`)
  if (idleReplicaCount !== undefined && idleReplicaCount >= (minReplicaCount ?? 0))
    problems.push('spec.idleReplicaCount: must be below minReplicaCount')
  if (isObject(spec.advanced)) {
    problems.push(
      ...fields('spec.advanced', spec.advanced, {
        horizontalPodAutoscalerConfig: isObject,
        restoreToOriginalReplicaCount: boolean,
        scalingModifiers: isObject,
      }),
    )
    const hpa = spec.advanced.horizontalPodAutoscalerConfig
    if (isObject(hpa))
      problems.push(
        ...fields('spec.advanced.horizontalPodAutoscalerConfig', hpa, { name: string, behavior: isObject }),
      )
  }
  if (isObject(spec.fallback)) {
    problems.push(
      ...fields(
        'spec.fallback',
        spec.fallback,
        { failureThreshold: isInteger, replicas: isInteger, behavior: string },
        ['failureThreshold', 'replicas'],
      ),
    )
  }
  const triggers: unknown[] = Array.isArray(spec.triggers) ? spec.triggers : []
  triggers.forEach((trigger, index) => {
    const where = `spec.triggers[${index}]`
    problems.push(...fields(where, trigger, TRIGGER_FIELDS, ['type', 'metadata']))
    if (!isObject(trigger)) return
    if (isObject(trigger.authenticationRef)) {
      problems.push(
        ...fields(
          `${where}.authenticationRef`,
          trigger.authenticationRef,
          {
            name: string,
            kind: (value) =>
              ['TriggerAuthentication', 'ClusterTriggerAuthentication'].includes(value as string),
          },
          ['name'],
        ),
      )
    }
    if (trigger.type === 'rabbitmq' && isObject(trigger.metadata))
      problems.push(...rabbitmqShape(where, trigger.metadata))
  })
  return problems
}

/** The RabbitMQ scaler's own parameters (keda.sh/docs/latest/scalers/rabbitmq-queue). */
function rabbitmqShape(where: string, metadata: Fields): string[] {
  const problems: string[] = []
  if (!metadata.queueName) problems.push(`${where}.metadata.queueName: required by the rabbitmq trigger`)
  const { mode, value, protocol } = metadata as Record<string, string | undefined>
  if (mode !== undefined && !['QueueLength', 'MessageRate'].includes(mode))
    problems.push(`${where}.metadata.mode: QueueLength or MessageRate, not ${mode}`)
  if (mode !== undefined && !(Number(value) > 0))
    problems.push(`${where}.metadata.value: a positive number is required with mode ${mode}`)
  if (mode === undefined && value !== undefined) problems.push(`${where}.metadata.value: needs a mode`)
  if (protocol !== undefined && !['auto', 'amqp', 'http'].includes(protocol))
    problems.push(`${where}.metadata.protocol: auto, amqp or http, not ${protocol}`)
  return problems
}

const SECRET_REF = { parameter: string, name: string, key: string }
const ENV_REF = { parameter: string, name: string, containerName: string }

/** A TriggerAuthentication against its CRD: the parameters it fills and where from. */
export function triggerAuthenticationShape(object: K8sObject): string[] {
  const spec = object.spec
  const list = (value: unknown) => Array.isArray(value) && value.length > 0
  const problems = fields('spec', spec, {
    secretTargetRef: list,
    configMapTargetRef: list,
    env: list,
    podIdentity: isObject,
    hashiCorpVault: isObject,
    azureKeyVault: isObject,
    awsSecretManager: isObject,
    gcpSecretManager: isObject,
    boundServiceAccountToken: list,
  })
  if (!isObject(spec)) return problems
  if (Object.keys(spec).length === 0) problems.push('spec: names no source of parameters')
  for (const [key, shape] of [
    ['secretTargetRef', SECRET_REF],
    ['configMapTargetRef', SECRET_REF],
    ['env', ENV_REF],
  ] as const) {
    const refs: unknown[] = Array.isArray(spec[key]) ? spec[key] : []
    refs.forEach((ref, index) =>
      problems.push(
        ...fields(
          `spec.${key}[${index}]`,
          ref,
          shape,
          key === 'env' ? ['parameter', 'name'] : Object.keys(shape),
        ),
      ),
    )
  }
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

interface Trigger {
  type: string
  metadata: Record<string, string>
  authenticationRef?: { name: string; kind?: string }
}
interface ScaledObjectSpec {
  scaleTargetRef: { apiVersion?: string; kind?: string; name: string }
  triggers?: Trigger[]
  advanced?: { horizontalPodAutoscalerConfig?: { name?: string } }
}
interface AuthSpec {
  secretTargetRef?: Array<{ parameter: string; name: string; key: string }>
  configMapTargetRef?: Array<{ parameter: string; name: string; key: string }>
  env?: Array<{ parameter: string; name: string }>
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
