/**
 * The log stack's configuration as code (deploy/k8s/components/logging), checked offline: Fluent Bit's
 * classic configuration parsed and its references resolved; Convoy's log lines taken through the
 * same rules Fluent Bit applies (the CRI format, the kubelet's file names, Merge_Log, the labels,
 * Replace_Dots) into the documents OpenSearch would receive; those documents against the index
 * template (a type for every field, no conflicts); and the Dashboards saved objects against the
 * documents (their fields exist, their searches find lines). Each check returns the problems it
 * found, in words that name the culprit; an empty list means none.
 */

/**
 * What the Pod Security restricted profile and the project's rules find in the log stack, all of
 * it Fluent Bit's and documented where it is declared (fluent-bit.yaml): it reads the node's log
 * files (hostPath, as root) and keeps its buffer there; its namespace is therefore `privileged`.
 */
export const FLUENT_BIT_EXCEPTIONS = [
  'Namespace fluent-bit: does not enforce the Pod Security restricted profile',
  'DaemonSet fluent-bit/fluent-bit: volume varlog of type hostPath is not allowed',
  'DaemonSet fluent-bit/fluent-bit: volume state of type hostPath is not allowed',
  'DaemonSet fluent-bit/fluent-bit container fluent-bit: runAsNonRoot is not true',
  'DaemonSet fluent-bit/fluent-bit container fluent-bit: no numeric non-root runAsUser',
]

/**
 * The network edges of the log stack (docs/deploy.md#network-policies): Fluent Bit to OpenSearch
 * and to the API server (an address outside the pod network: `internet` on 443), Dashboards and
 * the setup Job to OpenSearch, the import Job to Dashboards, Prometheus to Fluent Bit's metrics.
 */
export const LOGGING_EDGES = [
  'fluent-bit → opensearch:http',
  'fluent-bit → internet:https',
  'opensearch-dashboards → opensearch:http',
  'opensearch-setup → opensearch:http',
  'opensearch-dashboards-import → opensearch-dashboards:http',
  'monitoring → fluent-bit:metrics',
]

/** A section of a classic Fluent Bit configuration: `[NAME]` and its `Key value` lines. */
export interface Section {
  name: string
  entries: Array<[key: string, value: string]>
}

/** A Fluent Bit classic configuration file's sections (comments and blank lines dropped). */
export function parseFluentBitConfig(text: string): { sections: Section[]; problems: string[] } {
  const sections: Section[] = []
  const problems: string[] = []
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const header = /^\[([A-Z_]+)\]$/.exec(line)
    if (header) return void sections.push({ name: header[1]!, entries: [] })
    const entry = /^(\S+)\s+(.+)$/.exec(line)
    if (!entry || !/^\s/.test(raw)) problems.push(`line ${index + 1}: not an indented "Key value": ${line}`)
    else if (sections.length === 0) problems.push(`line ${index + 1}: ${entry[1]} is outside any section`)
    else sections.at(-1)!.entries.push([entry[1]!, entry[2]!.trim()])
  })
  return { sections, problems }
}

/** A section's value for a key (Fluent Bit's keys are case-insensitive). */
export const setting = (section: Section, key: string) =>
  section.entries.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1]
const on = (value: string | undefined) => /^(on|true|yes|1)$/i.test(value ?? '')
const sectionsNamed = (sections: Section[], name: string) => sections.filter((s) => s.name === name)
const describe = (section: Section) => `[${section.name}] ${setting(section, 'Name') ?? '(no Name)'}`

/** The plugins this configuration may name, as Fluent Bit 4.0 has them. */
const PLUGINS: Record<string, string[]> = {
  INPUT: ['tail', 'systemd', 'forward'],
  FILTER: ['kubernetes', 'modify', 'nest', 'grep', 'lua', 'parser', 'record_modifier'],
  OUTPUT: ['opensearch', 'es', 'cloudwatch_logs', 'stdout'],
}
/** The multiline parsers built into Fluent Bit (docs: "Multiline parsing", built-in parsers). */
export const BUILT_IN_MULTILINE = ['cri', 'docker', 'go', 'java', 'python', 'ruby']
/**
 * The built-in multiline parser `cri`'s expression, from Fluent Bit's source
 * (src/multiline/flb_ml_parser_cri.c, FLB_ML_CRI_REGEX): time, stream, partial flag, the line.
 */
export const CRI_REGEX = /^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$/
/** Keys a section may repeat (the modify filter's operations, grep's rules). */
const REPEATABLE = ['rename', 'hard_rename', 'add', 'set', 'remove', 'copy', 'regex', 'exclude', 'condition']

/**
 * What Fluent Bit would refuse or silently mishandle: unknown sections and plugins, a parser or
 * multiline parser named that neither parsers.conf nor Fluent Bit has, a regex that does not
 * compile, a filter or output whose Match takes no input's records, a repeated key, filesystem
 * buffering without its storage path or its bound.
 */
export function configProblems(config: Section[], parsers: Section[]): string[] {
  const problems: string[] = []
  for (const section of config) {
    if (section.name === 'SERVICE') continue
    const plugins = PLUGINS[section.name]
    if (!plugins) problems.push(`[${section.name}]: not a section of a pipeline file`)
    else if (!plugins.includes(setting(section, 'Name') ?? ''))
      problems.push(`${describe(section)}: no such ${section.name.toLowerCase()} plugin`)
    const keys = section.entries.map(([key]) => key.toLowerCase()).filter((k) => !REPEATABLE.includes(k))
    for (const key of new Set(keys.filter((k, i) => keys.indexOf(k) !== i)))
      problems.push(`${describe(section)}: ${key} is set twice`)
  }
  if (sectionsNamed(config, 'SERVICE').length !== 1) problems.push('there must be one [SERVICE]')
  for (const section of parsers)
    if (!['PARSER', 'MULTILINE_PARSER'].includes(section.name))
      problems.push(`parsers file: [${section.name}] is not a parser`)

  const parserNames = sectionsNamed(parsers, 'PARSER').map((p) => setting(p, 'Name'))
  const multilineNames = [
    ...BUILT_IN_MULTILINE,
    ...sectionsNamed(parsers, 'MULTILINE_PARSER').map((p) => setting(p, 'Name')),
  ]
  for (const section of config) {
    for (const [key, value] of section.entries) {
      if (/^(parser|regex_parser)$/i.test(key) && !parserNames.includes(value))
        problems.push(`${describe(section)}: ${key} ${value} is in no [PARSER] of the parsers file`)
      if (/^multiline\.parser$/i.test(key))
        for (const name of value.split(',').map((n) => n.trim()))
          if (!multilineNames.includes(name))
            problems.push(`${describe(section)}: multiline parser ${name} is neither built in nor defined`)
    }
  }
  for (const parser of sectionsNamed(parsers, 'PARSER')) {
    const regex = setting(parser, 'Regex')
    if (setting(parser, 'Format') === 'regex' && regex) {
      try {
        new RegExp(regex)
      } catch (error) {
        problems.push(`parser ${setting(parser, 'Name')}: its Regex does not compile: ${String(error)}`)
      }
    }
  }

  const tags = sectionsNamed(config, 'INPUT').map((input) => setting(input, 'Tag') ?? '')
  for (const section of [...sectionsNamed(config, 'FILTER'), ...sectionsNamed(config, 'OUTPUT')]) {
    const match = setting(section, 'Match')
    // A tag ending in `*` is expanded by the tail input with the file's path: any suffix.
    const sample = (tag: string) => tag.replace(/\*$/, 'var.log.containers.x.log')
    if (!match || !tags.some((tag) => wildcard(match).test(sample(tag))))
      problems.push(`${describe(section)}: Match ${match} takes no input's records`)
  }

  const service = sectionsNamed(config, 'SERVICE')[0]
  const buffered = sectionsNamed(config, 'INPUT').some((i) => setting(i, 'storage.type') === 'filesystem')
  if (buffered && !setting(service ?? { name: '', entries: [] }, 'storage.path'))
    problems.push('an input buffers to the filesystem, but [SERVICE] sets no storage.path')
  for (const output of sectionsNamed(config, 'OUTPUT'))
    if (buffered && !setting(output, 'storage.total_limit_size'))
      problems.push(`${describe(output)}: no storage.total_limit_size: the disk buffer has no bound`)
  return problems
}

const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)

// ── From a log line to an OpenSearch document ───────────────────────────────────────────────

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Doc = Record<string, Json>

/** A container of a pod as the kubelet names its log file, and the pod's labels. */
export interface Container {
  pod: string
  namespace: string
  container: string
  labels: Record<string, string>
}

/**
 * The lines a container wrote to stdout as the CRI runtime writes them to its file: a timestamp,
 * the stream, and `F` — or, for a line longer than `maxLine` (containerd's 16 KiB), `P` parts
 * and a final `F`.
 */
export function criLines(lines: string[], at: Date, maxLine = 16 * 1024): string[] {
  const time = at.toISOString().replace('Z', '000000Z')
  return lines.flatMap((line) => {
    const parts: string[] = []
    for (let i = 0; i < line.length; i += maxLine) parts.push(line.slice(i, i + maxLine))
    return parts.map((part, i) => `${time} stdout ${i === parts.length - 1 ? 'F' : 'P'} ${part}`)
  })
}

/** The kubelet's name for a container's log file (/var/log/containers/…). */
export const logFileName = (c: Container, id = 'a'.repeat(64)) =>
  `${c.pod}_${c.namespace}_${c.container}-${id}.log`

/**
 * What the configuration does to a container's file, step by step as Fluent Bit does it: the
 * `cri` multiline parser (CRI_REGEX; P parts joined to their F), the kubernetes filter (the pod
 * from the file name by the Regex_Parser of parsers.conf, its labels if `Labels On`, a JSON line's
 * fields merged if `Merge_Log On`, the raw line dropped if `Keep_Log Off`) and the opensearch
 * output (`Replace_Dots`: every `.` in a key becomes `_`, at every depth).
 */
export function ship(
  fileLines: string[],
  container: Container,
  config: Section[],
  parsers: Section[],
): Doc[] {
  const filter = sectionsNamed(config, 'FILTER').find((f) => setting(f, 'Name') === 'kubernetes')
  const output = sectionsNamed(config, 'OUTPUT').find((o) =>
    /^(opensearch|es)$/.test(setting(o, 'Name') ?? ''),
  )
  if (!filter || !output) throw new Error('no kubernetes filter or no opensearch output')
  const tagParser = sectionsNamed(parsers, 'PARSER').find(
    (p) => setting(p, 'Name') === setting(filter, 'Regex_Parser'),
  )
  const pod = new RegExp(setting(tagParser ?? { name: '', entries: [] }, 'Regex') ?? '$^').exec(
    logFileName(container),
  )?.groups
  if (!pod) throw new Error(`the Regex_Parser does not read the pod from ${logFileName(container)}`)

  const docs: Doc[] = []
  let partial = ''
  for (const line of fileLines) {
    const cri = CRI_REGEX.exec(line)?.groups
    if (!cri) throw new Error(`not a CRI line: ${line}`)
    if (cri._p === 'P') {
      partial += cri.log
      continue
    }
    const log = partial + cri.log!
    partial = ''
    // `time` is the parser's Time_Key: it becomes the record's timestamp, not a field.
    let record: Doc = { stream: cri.stream!, _p: cri._p!, log, '@timestamp': cri.time! }
    const merged = on(setting(filter, 'Merge_Log')) ? parseObject(log) : undefined
    if (merged) {
      record = { ...record, ...merged }
      if (!on(setting(filter, 'Keep_Log') ?? 'On')) delete record.log
    }
    record.kubernetes = {
      pod_name: pod.pod_name!,
      namespace_name: pod.namespace_name!,
      container_name: pod.container_name!,
      docker_id: pod.docker_id!,
      ...(on(setting(filter, 'Labels') ?? 'On') ? { labels: container.labels } : {}),
    }
    docs.push(on(setting(output, 'Replace_Dots')) ? (replaceDots(record) as Doc) : record)
  }
  return docs
}

function parseObject(text: string): Doc | undefined {
  try {
    const value = JSON.parse(text) as Json
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

function replaceDots(value: Json): Json {
  if (Array.isArray(value)) return value.map(replaceDots)
  if (!value || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll('.', '_'), replaceDots(v)]))
}

// ── Documents against the index template ─────────────────────────────────────────────────────

type Kind = 'object' | 'string' | 'number' | 'boolean'
/**
 * Every field of the documents by its path, as OpenSearch reads them (a dot in a key is a step
 * into an object: `a.b: 1` is `{a: {b: 1}}`), with the kinds of value seen there.
 */
export function fieldKinds(docs: Doc[]): Map<string, Set<Kind>> {
  const kinds = new Map<string, Set<Kind>>()
  const see = (path: string, kind: Kind) => kinds.set(path, (kinds.get(path) ?? new Set()).add(kind))
  const walk = (prefix: string, value: Json) => {
    if (value === null) return
    if (Array.isArray(value)) return value.forEach((item) => walk(prefix, item))
    if (typeof value === 'object') {
      if (prefix) see(prefix, 'object')
      for (const [key, child] of Object.entries(value)) {
        // `a.b` in a key: OpenSearch makes `a` an object holding `b`.
        const steps = key.split('.')
        let path = prefix
        for (const step of steps.slice(0, -1)) {
          path = path ? `${path}.${step}` : step
          see(path, 'object')
        }
        walk(path ? `${path}.${steps.at(-1)!}` : steps.at(-1)!, child)
      }
      return
    }
    see(prefix, typeof value as Kind)
  }
  for (const doc of docs) walk('', doc)
  return kinds
}

interface Mapping {
  type?: string
  properties?: Record<string, Mapping>
  fields?: Record<string, Mapping>
}
export interface IndexTemplate {
  index_patterns: string[]
  template: {
    mappings: {
      properties: Record<string, Mapping>
      dynamic_templates?: Array<
        Record<string, { match_mapping_type?: string; path_match?: string; match?: string; mapping: Mapping }>
      >
    }
  }
}

/** The type the template's `properties` give a field, if they name it. */
function explicitType(template: IndexTemplate, path: string): string | undefined {
  const steps = path.split('.')
  let properties: Record<string, Mapping> | undefined = template.template.mappings.properties
  for (const [i, step] of steps.entries()) {
    const mapping: Mapping | undefined = properties?.[step]
    if (!mapping) return undefined
    if (i === steps.length - 1) return mapping.type ?? (mapping.properties ? 'object' : undefined)
    properties = mapping.properties
  }
  return undefined
}

/** The type the template gives a field: declared in `properties`, or by a dynamic template. */
export function declaredType(template: IndexTemplate, path: string, kind: Kind): string | undefined {
  const steps = path.split('.')
  const explicit = explicitType(template, path)
  if (explicit) return explicit
  if (kind === 'object') return 'object' // objects take the fields the template gives their children
  for (const entry of template.template.mappings.dynamic_templates ?? []) {
    const rule = Object.values(entry)[0]!
    // OpenSearch's JSON types: a number is `long` or `double` (which of them, the value decides).
    const jsonTypes = { string: ['string'], number: ['long', 'double'], boolean: ['boolean'] }[kind]
    const wanted = rule.match_mapping_type
    if (wanted && wanted !== '*' && !jsonTypes.includes(wanted)) continue
    if (rule.path_match && !wildcard(rule.path_match).test(path)) continue
    if (rule.match && !wildcard(rule.match).test(steps.at(-1)!)) continue
    return rule.mapping.type
  }
  return undefined
}

/** The value kinds each OpenSearch field type takes without refusing the document. */
const ACCEPTS: Record<string, Kind[]> = {
  keyword: ['string', 'number', 'boolean'],
  text: ['string', 'number', 'boolean'],
  date: ['string', 'number'],
  long: ['number'],
  integer: ['number'],
  float: ['number'],
  double: ['number'],
  boolean: ['boolean'],
  object: ['object'],
}

/**
 * Every field of the documents has a type in the template that takes what was seen there, and no
 * field was seen both as an object and as a value, or as a number and as a string (OpenSearch
 * would refuse the documents that disagree with the first one it mapped).
 */
export function mappingProblems(docs: Doc[], template: IndexTemplate): string[] {
  const problems: string[] = []
  for (const [path, kinds] of fieldKinds(docs)) {
    if (kinds.has('object') && kinds.size > 1)
      problems.push(`${path}: seen both as an object and as a ${[...kinds].find((k) => k !== 'object')}`)
    // A keyword takes a number as its text; a field mapped dynamically, by the first value seen
    // (a number: long), refuses the strings that come after.
    const type = explicitType(template, path)
    if (kinds.has('number') && kinds.has('string') && !(type === 'keyword' || type === 'text'))
      problems.push(`${path}: seen both as a number and as a string`)
    for (const kind of kinds) {
      const mapped = declaredType(template, path, kind)
      if (!mapped) problems.push(`${path}: a ${kind} the template declares no type for`)
      else if (!ACCEPTS[mapped]?.includes(kind)) problems.push(`${path}: a ${kind}, mapped as ${mapped}`)
    }
  }
  return problems
}

/** A field that can be sorted and aggregated on (not analysed text). */
export function aggregatable(template: IndexTemplate, path: string): boolean {
  const type = declaredType(template, path, 'string')
  return !!type && type !== 'text' && type !== 'object'
}

// ── Saved objects ────────────────────────────────────────────────────────────────────────────

export interface SavedObject {
  type: string
  id: string
  attributes: Record<string, unknown>
  references: Array<{ name: string; type: string; id: string }>
}

export const parseNdjson = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SavedObject)

const sourceOf = (o: SavedObject) =>
  JSON.parse(
    (o.attributes.kibanaSavedObjectMeta as { searchSourceJSON?: string } | undefined)?.searchSourceJSON ??
      '{}',
  ) as { query?: { query: string; language: string }; indexRefName?: string }

/** The query (KQL) of a saved search or visualization, '' for none. */
export const queryOf = (o: SavedObject) => sourceOf(o).query?.query ?? ''

/** The fields a saved object uses: its query's, its columns and sort, its aggregations'. */
export function fieldsUsed(o: SavedObject): { fields: string[]; aggregated: string[] } {
  const query = queryOf(o).replace(/"(?:[^"\\]|\\.)*"/g, '""')
  const fields = [...query.matchAll(/([A-Za-z_@][\w.@]*)\s*:/g)].map((m) => m[1]!)
  const aggregated: string[] = []
  if (o.type === 'search') {
    fields.push(...((o.attributes.columns as string[]) ?? []))
    aggregated.push(...((o.attributes.sort as Array<[string, string]>) ?? []).map(([field]) => field))
  }
  if (o.type === 'visualization') {
    const state = JSON.parse(o.attributes.visState as string) as {
      aggs: Array<{ params: { field?: string } }>
    }
    aggregated.push(...state.aggs.flatMap((agg) => (agg.params.field ? [agg.params.field] : [])))
  }
  if (o.type === 'index-pattern' && o.attributes.timeFieldName)
    aggregated.push(o.attributes.timeFieldName as string)
  return { fields: [...new Set([...fields, ...aggregated])], aggregated: [...new Set(aggregated)] }
}

/** Every reference of every object names an object of the file, and a search's index is one of them. */
export function savedObjectReferenceProblems(objects: SavedObject[]): string[] {
  const problems: string[] = []
  const ids = new Set(objects.map((o) => `${o.type}:${o.id}`))
  for (const o of objects) {
    for (const ref of o.references)
      if (!ids.has(`${ref.type}:${ref.id}`))
        problems.push(`${o.type} ${o.id}: refers to ${ref.type} ${ref.id}, not in the file`)
    const indexRef = sourceOf(o).indexRefName
    if (indexRef && !o.references.some((r) => r.name === indexRef && r.type === 'index-pattern'))
      problems.push(`${o.type} ${o.id}: its search source's index ${indexRef} is no reference of it`)
    if (o.type === 'dashboard') {
      const panels = JSON.parse(o.attributes.panelsJSON as string) as Array<{ panelRefName: string }>
      for (const panel of panels)
        if (!o.references.some((r) => r.name === panel.panelRefName))
          problems.push(`dashboard ${o.id}: panel ${panel.panelRefName} is no reference of it`)
    }
  }
  return problems
}

/**
 * Each saved object's fields are fields of the documents (the real ones), the fields it sorts or
 * aggregates on are aggregatable in the template, and each saved search with a query finds at
 * least one of the documents.
 */
export function savedObjectFieldProblems(
  objects: SavedObject[],
  docs: Doc[],
  template: IndexTemplate,
): string[] {
  const problems: string[] = []
  const seen = new Set(fieldKinds(docs).keys())
  for (const o of objects) {
    const { fields, aggregated } = fieldsUsed(o)
    for (const field of fields)
      if (!seen.has(field)) problems.push(`${o.type} ${o.id}: uses ${field}, which no log line has`)
    for (const field of aggregated)
      if (!aggregatable(template, field))
        problems.push(`${o.type} ${o.id}: sorts or aggregates on ${field}, not aggregatable`)
    const query = queryOf(o)
    if (o.type === 'search' && query && !docs.some((doc) => kqlMatches(query, doc)))
      problems.push(`search ${o.id}: its query ${query} finds no log line`)
  }
  return problems
}

// A KQL subset (what the saved objects use): `field:value`, `field:"a phrase"`, `field:*`,
// `field:(a or b)`, `and`, `or`, `not`, parentheses. A bare value matches a field whole (a
// keyword); a quoted phrase is found within it (case-insensitively, as in an analysed text field).
export function kqlMatches(query: string, doc: Doc): boolean {
  const tokens = [...query.matchAll(/"(?:[^"\\]|\\.)*"|[():]|[^\s():"]+/g)].map((m) => m[0])
  let at = 0
  const peek = () => tokens[at]?.toLowerCase()
  const next = () => tokens[at++] ?? ''
  const value = (field: string, wanted: string): boolean => {
    const found = valueAt(doc, field)
    if (found === undefined || found === null) return false
    if (wanted === '*') return true
    // A value, not an object: what a query on a field compares.
    const actual = typeof found === 'object' ? JSON.stringify(found) : String(found)
    if (!wanted.startsWith('"')) return actual === wanted
    return actual.toLowerCase().includes((JSON.parse(wanted) as string).toLowerCase())
  }
  const values = (field: string): boolean => {
    if (peek() !== '(') return value(field, next())
    next()
    let result = value(field, next())
    while (peek() === 'or') {
      next()
      result = value(field, next()) || result
    }
    next() // ')'
    return result
  }
  const term = (): boolean => {
    if (peek() === 'not') {
      next()
      return !term()
    }
    if (peek() === '(') {
      next()
      const result = or()
      next() // ')'
      return result
    }
    const field = next()
    next() // ':'
    return values(field)
  }
  const and = (): boolean => {
    let result = term()
    while (peek() === 'and') {
      next()
      result = term() && result
    }
    return result
  }
  const or = (): boolean => {
    let result = and()
    while (peek() === 'or') {
      next()
      result = and() || result
    }
    return result
  }
  return or()
}

function valueAt(doc: Doc, path: string): Json | undefined {
  let value: Json | undefined = doc
  for (const step of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = (value as Record<string, Json>)[step]
  }
  return value
}
