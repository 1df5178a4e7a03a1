/**
 * Checks of Convoy's Grafana dashboards (deploy/monitoring/dashboards) and of how they reach the
 * chart's Grafana. Each returns the problems it found, in words that name the dashboard and panel;
 * an empty list means none.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createMetrics } from '@convoy/platform/metrics'
import { stringify } from 'yaml'
import { writeDashboards } from '../../deploy/monitoring/dashboards/generate.ts'
import type { PanelQuery } from '../../deploy/monitoring/dashboards/queries.ts'
import type { K8sObject } from './k8s-checks.ts'
import { metricProblems, promtool, type ConvoyMetric, type RuleFile } from './monitoring-checks.ts'

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()

/** The files that regenerating the dashboards would add, change or remove in `dir`. */
export function regenerationProblems(dir: string): string[] {
  const fresh = mkdtempSync(path.join(tmpdir(), 'convoy-dashboards-'))
  try {
    writeDashboards(fresh)
    const files = [...new Set([...jsonFiles(dir), ...jsonFiles(fresh)])].sort()
    return files.flatMap((file) => {
      const read = (folder: string) => {
        try {
          return readFileSync(path.join(folder, file), 'utf8')
        } catch {
          return undefined
        }
      }
      const [committed, generated] = [read(dir), read(fresh)]
      if (committed === generated) return []
      if (committed === undefined) return [`${file}: generated, not committed`]
      if (generated === undefined) return [`${file}: committed, no longer generated`]
      return [`${file}: differs from what generate.ts writes (run npm run dashboards)`]
    })
  } finally {
    rmSync(fresh, { recursive: true, force: true })
  }
}

interface DataSourceRef {
  type?: string
  uid?: string
}
interface PanelJson {
  type: string
  title?: string
  datasource?: DataSourceRef
  targets?: Array<{ refId?: string; datasource?: DataSourceRef }>
  panels?: PanelJson[]
}
export interface DashboardJson {
  uid: string
  title: string
  panels?: PanelJson[]
  templating?: { list?: Array<{ name: string; datasource?: DataSourceRef }> }
}

export const readDashboards = (dir: string) =>
  jsonFiles(dir).map((file) => ({
    file,
    dashboard: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as DashboardJson,
  }))

/**
 * Each dashboard is `<uid>.json`, its uid and title its own; every panel, query and variable reads
 * the Prometheus data source by its uid.
 */
export function dashboardProblems(
  dashboards: Array<{ file: string; dashboard: DashboardJson }>,
  datasource: Required<DataSourceRef>,
): string[] {
  const problems: string[] = []
  const seen = { uid: new Map<string, string>(), title: new Map<string, string>() }
  const wrong = (ref: DataSourceRef | undefined) =>
    ref?.uid !== datasource.uid || ref.type !== datasource.type
  for (const { file, dashboard } of dashboards) {
    if (file !== `${dashboard.uid}.json`) problems.push(`${file}: its uid is ${dashboard.uid}`)
    for (const key of ['uid', 'title'] as const) {
      const other = seen[key].get(dashboard[key])
      if (other) problems.push(`${file}: ${key} ${dashboard[key]} is also ${other}'s`)
      else seen[key].set(dashboard[key], file)
    }
    const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])])
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      if (wrong(panel.datasource))
        problems.push(`${file}: panel ${panel.title}: data source ${JSON.stringify(panel.datasource)}`)
      for (const target of panel.targets ?? [])
        if (target.datasource && wrong(target.datasource))
          problems.push(
            `${file}: panel ${panel.title}, query ${target.refId}: data source ${target.datasource.uid}`,
          )
      if (!panel.targets?.length) problems.push(`${file}: panel ${panel.title} has no query`)
    }
    for (const variable of dashboard.templating?.list ?? [])
      if (variable.datasource && wrong(variable.datasource))
        problems.push(`${file}: variable ${variable.name}: data source ${variable.datasource.uid}`)
  }
  return problems
}

/**
 * prom-client's default metrics, as every service's registry (`createMetrics`) serves them, with
 * their label names: what the Node runtime panels read besides Convoy's own.
 */
export async function defaultNodeMetrics(): Promise<Map<string, ConvoyMetric>> {
  const registry = createMetrics('probe')
  const types = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]))
  const metrics = new Map<string, ConvoyMetric>()
  for (const [name, type] of types) {
    // prom-client keeps a metric's label names on it, though its types do not say so.
    const { labelNames = [] } = registry.getSingleMetric(name) as unknown as { labelNames?: string[] }
    metrics.set(name, {
      type: (type[0]!.toUpperCase() + type.slice(1)) as ConvoyMetric['type'],
      labels: [...labelNames],
      file: "prom-client's default metrics (packages/platform/src/metrics)",
    })
  }
  return metrics
}

/** The queries as a rule file named after their dashboard, one rule per query, named after its panel. */
const asRuleFile = (queries: PanelQuery[], dashboard: string): RuleFile => ({
  file: `${dashboard}.json`,
  object: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: dashboard },
    spec: {
      groups: [
        {
          name: dashboard,
          rules: queries
            .filter((q) => q.dashboard === dashboard)
            .map((q) => ({ alert: q.panel, expr: q.promql })),
        },
      ],
    },
  },
})

/**
 * Every series a query reads is a recording rule of `rules`, a metric Convoy defines (with the
 * labels it has), one of prom-client's default metrics, or a known external one: the checks of the
 * rules' expressions (metricProblems), applied to the dashboards'.
 */
export function queryMetricProblems(
  queries: PanelQuery[],
  rules: RuleFile[],
  metrics: Map<string, ConvoyMetric>,
): string[] {
  const dashboards = [...new Set(queries.map((q) => q.dashboard))]
  const files = dashboards.map((dashboard) => asRuleFile(queries, dashboard))
  // With the rule files, so that their records count as defined; only the dashboards' problems.
  return metricProblems([...rules, ...files], metrics)
    .filter((problem) => files.some(({ file }) => problem.startsWith(`${file}: `)))
    .map((problem) => problem.replace(': alert ', ': panel '))
}

/** `promtool check rules` on every query (variables substituted), each as a recording rule. */
export function promqlProblems(queries: PanelQuery[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-dashboard-queries-'))
  try {
    const file = path.join(dir, 'queries.yaml')
    const rules = queries.map((q, index) => ({ record: `dashboard:query_${index}:check`, expr: q.promql }))
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }))
    const { ok, output } = promtool(['check', 'rules', file])
    if (ok) return []
    // promtool names a rule by its number in the group: give its dashboard and panel instead.
    return [
      output.replace(/rule (\d+)/g, (whole, n: string) => {
        const query = queries[Number(n) - 1]
        return query ? `${whole} (${query.dashboard}: ${query.panel})` : whole
      }),
    ]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Each dashboard is a ConfigMap in `namespace`, labelled as the Grafana sidecar looks for
 * (`label`: `value`), holding the file as it is.
 */
export function configMapProblems(
  objects: K8sObject[],
  dir: string,
  sidecar: { namespace: string; label: string; value: string },
): string[] {
  const maps = objects.filter((o) => o.kind === 'ConfigMap') as Array<
    K8sObject & { data?: Record<string, string> }
  >
  return jsonFiles(dir).flatMap((file) => {
    const holding = maps.filter((map) => map.data?.[file] !== undefined)
    if (holding.length !== 1) return [`${file}: in ${holding.length} ConfigMaps, not 1`]
    const [map] = holding as [K8sObject & { data: Record<string, string> }]
    const name = `ConfigMap ${map.metadata.namespace}/${map.metadata.name}`
    const problems: string[] = []
    if (map.metadata.namespace !== sidecar.namespace)
      problems.push(`${file}: ${name}, not in ${sidecar.namespace}`)
    if (map.metadata.labels?.[sidecar.label] !== sidecar.value)
      problems.push(`${file}: ${name} is not labelled ${sidecar.label}: "${sidecar.value}"`)
    if (map.data[file] !== readFileSync(path.join(dir, file), 'utf8'))
      problems.push(`${file}: ${name} holds another text than the file`)
    return problems
  })
}
