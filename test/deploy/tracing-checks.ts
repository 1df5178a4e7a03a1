/**
 * The OpenTelemetry Collector's configuration (deploy/k8s/components/tracing), checked offline
 * against what its documentation says a Collector accepts: no Collector binary runs here, and no
 * package publishes its configuration's JSON schema. Checked: the pipelines' structure (every
 * component named is defined, connectors both ends, memory_limiter first), the component types
 * against the contrib distribution's, the tail sampling policies' types and fields, listening
 * addresses a Service can reach; and what the redaction does to a span's attributes, by the same
 * rules the Collector applies (only the functions the configuration uses). Not checked: each
 * component's other fields, OTTL beyond `replace_pattern`; the Collector's own `validate` would.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

type Section = Record<string, Record<string, unknown> | null>
export interface CollectorConfig {
  receivers?: Section
  processors?: Section
  exporters?: Section
  connectors?: Section
  extensions?: Section
  service?: {
    extensions?: string[]
    pipelines?: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>
  }
}

export const readCollectorConfig = (file: string) => parse(readFileSync(file, 'utf8')) as CollectorConfig

/**
 * The component types of the contrib distribution this configuration uses or may reasonably
 * use (its manifest lists more); a type outside it would stop the Collector at start.
 */
const CONTRIB_TYPES: Record<
  'receivers' | 'processors' | 'exporters' | 'connectors' | 'extensions',
  string[]
> = {
  receivers: ['otlp', 'jaeger', 'zipkin', 'prometheus'],
  processors: [
    'memory_limiter',
    'batch',
    'attributes',
    'resource',
    'transform',
    'redaction',
    'filter',
    'tail_sampling',
    'probabilistic_sampler',
    'k8sattributes',
  ],
  exporters: ['otlp', 'otlphttp', 'prometheus', 'debug', 'loadbalancing'],
  connectors: ['spanmetrics', 'forward', 'count', 'servicegraph'],
  extensions: ['health_check', 'healthcheckv2', 'pprof', 'zpages'],
}

/** tail_sampling's policy types (its README); each policy has a block named like its type. */
const POLICY_TYPES = [
  'always_sample',
  'latency',
  'numeric_attribute',
  'probabilistic',
  'status_code',
  'string_attribute',
  'rate_limiting',
  'bytes_limiting',
  'span_count',
  'boolean_attribute',
  'ottl_condition',
  'trace_state',
  'and',
  'composite',
  'drop',
]

const typeOf = (id: string) => id.split('/', 1)[0]!

/**
 * The pipelines' structure: each id is `<signal>[/<name>]`, each component it names is defined in
 * its section (a connector as a receiver or an exporter), each connector is exported by one
 * pipeline and received by another, every defined component is used, and (unless
 * `memoryLimiterFirst` is false) memory_limiter is each pipeline's first processor.
 */
export function pipelineProblems(
  config: CollectorConfig,
  { memoryLimiterFirst = true }: { memoryLimiterFirst?: boolean } = {},
): string[] {
  const problems: string[] = []
  const pipelines = Object.entries(config.service?.pipelines ?? {})
  if (pipelines.length === 0) problems.push('service.pipelines: none')
  const connectors = Object.keys(config.connectors ?? {})
  const used = new Set<string>()
  for (const [name, pipeline] of pipelines) {
    if (!['traces', 'metrics', 'logs'].includes(typeOf(name)))
      problems.push(`pipeline ${name}: not a traces, metrics or logs pipeline`)
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const names = pipeline[role] ?? []
      if (role !== 'processors' && names.length === 0) problems.push(`pipeline ${name}: no ${role}`)
      for (const component of names) {
        const defined =
          component in (config[role] ?? {}) || (role !== 'processors' && connectors.includes(component))
        if (!defined) problems.push(`pipeline ${name}: ${role.slice(0, -1)} ${component} is not defined`)
        used.add(`${role}:${component}`)
      }
    }
    if (memoryLimiterFirst && typeOf(pipeline.processors?.[0] ?? '') !== 'memory_limiter')
      problems.push(`pipeline ${name}: memory_limiter is not its first processor`)
  }
  for (const connector of connectors) {
    const exportedBy = pipelines.filter(([, p]) => p.exporters?.includes(connector)).map(([n]) => n)
    const receivedBy = pipelines.filter(([, p]) => p.receivers?.includes(connector)).map(([n]) => n)
    if (exportedBy.length === 0) problems.push(`connector ${connector}: no pipeline exports to it`)
    if (receivedBy.length === 0) problems.push(`connector ${connector}: no pipeline receives from it`)
  }
  for (const role of ['receivers', 'processors', 'exporters'] as const)
    for (const component of Object.keys(config[role] ?? {}))
      if (!used.has(`${role}:${component}`))
        problems.push(`${role.slice(0, -1)} ${component}: in no pipeline`)
  for (const extension of config.service?.extensions ?? [])
    if (!(extension in (config.extensions ?? {})))
      problems.push(`extension ${extension}: enabled but not defined`)
  return problems
}

/** The contrib distribution's component types, the tail sampling policies, reachable addresses. */
export function componentProblems(config: CollectorConfig): string[] {
  const problems: string[] = []
  for (const [section, types] of Object.entries(CONTRIB_TYPES))
    for (const id of Object.keys(config[section as keyof typeof CONTRIB_TYPES] ?? {}))
      if (!types.includes(typeOf(id)))
        problems.push(`${section.slice(0, -1)} ${id}: type ${typeOf(id)} is not in the contrib distribution`)
  for (const [id, body] of Object.entries(config.processors ?? {})) {
    if (typeOf(id) !== 'tail_sampling') continue
    const policies = (
      body as { policies?: Array<Record<string, unknown> & { name?: string; type?: string }> }
    ).policies
    if (!policies?.length) problems.push(`processor ${id}: no policies (it would keep every trace)`)
    for (const policy of policies ?? []) {
      const where = `processor ${id}: policy ${policy.name ?? '(no name)'}`
      if (!policy.name) problems.push(`${where}: no name`)
      if (!POLICY_TYPES.includes(policy.type ?? '')) {
        problems.push(`${where}: unknown policy type ${policy.type}`)
        continue
      }
      const settings = policy[policy.type!] as Record<string, unknown> | undefined
      if (policy.type !== 'always_sample' && !settings)
        problems.push(`${where}: no ${policy.type} block for its type`)
      if (policy.type === 'status_code') {
        const codes = (settings?.status_codes as string[] | undefined) ?? []
        if (codes.length === 0 || codes.some((code) => !['OK', 'ERROR', 'UNSET'].includes(code)))
          problems.push(`${where}: status_codes must be OK, ERROR or UNSET`)
      }
      if (policy.type === 'latency' && !(Number(settings?.threshold_ms) > 0))
        problems.push(`${where}: threshold_ms must be a positive number`)
      if (policy.type === 'probabilistic') {
        const share = Number(settings?.sampling_percentage)
        if (!(share > 0 && share <= 100)) problems.push(`${where}: sampling_percentage must be in (0, 100]`)
      }
    }
  }
  // Since v0.104 a server's default address is localhost: unreachable from a Service or the kubelet.
  for (const [where, endpoint] of listeningEndpoints(config))
    if (!/^0\.0\.0\.0:\d+$/.test(endpoint))
      problems.push(`${where}: listens on ${endpoint}, reachable only from inside the pod`)
  return problems
}

/** The addresses the Collector listens on: its receivers', the prometheus exporter's, the extensions'. */
export function listeningEndpoints(config: CollectorConfig): Array<[string, string]> {
  const found: Array<[string, string]> = []
  for (const [id, body] of Object.entries(config.receivers ?? {})) {
    const protocols = (body as { protocols?: Record<string, { endpoint?: string } | null> } | null)?.protocols
    for (const [protocol, settings] of Object.entries(protocols ?? {}))
      found.push([`receiver ${id} ${protocol}`, settings?.endpoint ?? 'localhost (the default)'])
  }
  for (const [id, body] of Object.entries(config.exporters ?? {}))
    if (typeOf(id) === 'prometheus')
      found.push([`exporter ${id}`, (body as { endpoint?: string } | null)?.endpoint ?? 'localhost'])
  for (const [id, body] of Object.entries(config.extensions ?? {})) {
    const settings = body as { endpoint?: string; http?: { endpoint?: string } } | null
    const endpoint = settings?.endpoint ?? settings?.http?.endpoint
    found.push([`extension ${id}`, endpoint ?? 'localhost (the default)'])
  }
  return found
}

// ── Redaction, as the Collector applies it ──────────────────────────────────────────────────

type Attributes = Record<string, unknown>

/**
 * A Go (RE2) regular expression as JavaScript's: a leading `(?i)` becomes the `i` flag; the rest
 * of the syntax the configuration uses (classes, groups, `\s`, `{n,}`) reads the same in both.
 */
function goRegExp(source: string, flags = ''): RegExp {
  const insensitive = source.startsWith('(?i)')
  return new RegExp(insensitive ? source.slice(4) : source, `${flags}${insensitive ? 'i' : ''}`)
}

/** The Collector's configuration expands `$$` to `$` before a component reads it. */
const unescape = (text: string) => text.replaceAll('$$', '$')

/** OTTL's `replace_pattern(attributes["key"], "regex", "replacement")`, the one function used. */
const REPLACE_PATTERN =
  /^replace_pattern\(attributes\["([^"]+)"\],\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"\)$/
const ottlString = (text: string) => text.replace(/\\(.)/g, '$1')

function processorStep(id: string, body: Record<string, unknown> | null): (a: Attributes) => Attributes {
  const type = typeOf(id)
  if (['memory_limiter', 'batch', 'tail_sampling', 'probabilistic_sampler'].includes(type))
    return (attributes) => attributes
  if (type === 'attributes') {
    const actions = (body?.actions ?? []) as Array<{ key?: string; pattern?: string; action: string }>
    return (attributes) => {
      const out = { ...attributes }
      for (const { key, pattern, action } of actions) {
        const keys = Object.keys(out).filter((k) => k === key || (pattern && goRegExp(pattern).test(k)))
        for (const k of keys) {
          if (action === 'delete') delete out[k]
          else if (action === 'hash') out[k] = createHash('sha256').update(String(out[k])).digest('hex')
          else throw new Error(`processor ${id}: action ${action} is not modelled here`)
        }
      }
      return out
    }
  }
  if (type === 'transform') {
    const groups = (body?.trace_statements ?? []) as Array<{ context: string; statements: string[] }>
    const steps = groups.flatMap(({ context, statements }) => {
      if (context !== 'span') throw new Error(`processor ${id}: context ${context} is not modelled here`)
      return statements.map((statement) => {
        const [, key, pattern, replacement] = REPLACE_PATTERN.exec(unescape(statement).trim()) ?? []
        if (!key) throw new Error(`processor ${id}: ${statement} is not modelled here`)
        const regExp = goRegExp(ottlString(pattern!), 'g')
        return (attributes: Attributes) =>
          typeof attributes[key] === 'string'
            ? { ...attributes, [key]: attributes[key].replace(regExp, ottlString(replacement!)) }
            : attributes
      })
    })
    return (attributes) => steps.reduce((current, step) => step(current), attributes)
  }
  if (type === 'redaction') {
    const settings = body as {
      allow_all_keys?: boolean
      allowed_keys?: string[]
      ignored_keys?: string[]
      blocked_values?: string[]
    }
    const blocked = (settings.blocked_values ?? []).map((value) => goRegExp(value, 'g'))
    return (attributes) =>
      Object.fromEntries(
        Object.entries(attributes)
          .filter(
            ([key]) =>
              settings.allow_all_keys ||
              settings.allowed_keys?.includes(key) ||
              settings.ignored_keys?.includes(key),
          )
          .map(([key, value]) => [
            key,
            typeof value === 'string' && !settings.ignored_keys?.includes(key)
              ? blocked.reduce((masked, regExp) => masked.replace(regExp, '****'), value)
              : value,
          ]),
      )
  }
  throw new Error(`processor ${id}: type ${type} is not modelled here`)
}

/**
 * What the span's attributes are once a traces pipeline that receives from `receiver` has run its
 * processors on them: what reaches its exporters (Jaeger, through the connectors the metrics).
 */
export function redactor(config: CollectorConfig, receiver = 'otlp'): (attributes: Attributes) => Attributes {
  const pipeline = Object.entries(config.service?.pipelines ?? {}).find(
    ([name, p]) => typeOf(name) === 'traces' && p.receivers?.includes(receiver),
  )?.[1]
  if (!pipeline) throw new Error(`no traces pipeline receives from ${receiver}`)
  const steps = (pipeline.processors ?? []).map((id) => processorStep(id, config.processors?.[id] ?? null))
  return (attributes) => steps.reduce((current, step) => step(current), attributes)
}
