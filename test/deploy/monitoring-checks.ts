/**
 * Checks of Convoy's alert and recording rules (deploy/monitoring): the PrometheusRule objects are
 * the source; promtool reads plain rule files, so `extract` writes each object's `spec` (its
 * `groups`) to a temporary rules/ folder with the promtool tests beside it in tests/, as in the
 * repository. Each check returns the problems it found, in words that name the rule; an empty list
 * means none.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse, stringify } from 'yaml'
import { readPrometheusRules, writeRuleFiles } from '@convoy/system/prometheus'
import { parser } from '@prometheus-io/lezer-promql'
import type { K8sObject } from './k8s-checks.ts'

export interface Rule {
  record?: string
  alert?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface RuleGroup {
  name: string
  rules: Rule[]
}
/** A PrometheusRule as read from its file. */
export interface RuleFile {
  file: string
  object: K8sObject & { spec: { groups: RuleGroup[] } }
}

/** The PrometheusRule files of a folder (its kustomization.yaml aside), by file name. */
export const readRuleFiles = (dir: string) => readPrometheusRules(dir) as RuleFile[]

export const rulesOf = (files: RuleFile[]) =>
  files.flatMap(({ file, object }) =>
    object.spec.groups.flatMap((group) => group.rules.map((rule) => ({ file, group: group.name, rule }))),
  )

/**
 * A temporary folder with rules/<file> (each PrometheusRule's spec: a plain rule file) and
 * tests/<file> (the promtool tests, whose `rule_files` say ../rules/<file>).
 */
export function extract(
  rulesDir: string,
  testsDir: string,
): { dir: string; rules: string[]; tests: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-rules-'))
  const rules = writeRuleFiles(rulesDir, path.join(dir, 'rules'))
  cpSync(testsDir, path.join(dir, 'tests'), { recursive: true })
  const tests = globSync('*.yaml', { cwd: path.join(dir, 'tests') })
    .sort()
    .map((file) => path.join(dir, 'tests', file))
  return { dir, rules, tests }
}

/** Runs one of Prometheus's tools; throws (never skips) when it is not installed. */
function prometheusTool(command: string, debianPackage: string, args: string[], cwd?: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' })
  if (result.error)
    throw new Error(`${command} could not run (${result.error.message}): apt-get install ${debianPackage}`)
  return { ok: result.status === 0, stdout: result.stdout, output: `${result.stdout}${result.stderr}` }
}

/** Runs promtool (Debian's prometheus). */
export const promtool = (args: string[], cwd?: string) => prometheusTool('promtool', 'prometheus', args, cwd)

/** Runs amtool (Debian's prometheus-alertmanager). */
export const amtool = (args: string[]) => prometheusTool('amtool', 'prometheus-alertmanager', args)

// ── Alerts: labels, annotations, runbooks ───────────────────────────────────────────────────────

/** The anchors GitHub gives a Markdown file's headings: lowercased, punctuation dropped, spaces → -. */
export function markdownAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((match) =>
      match[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

const SEVERITIES = ['critical', 'warning']

/**
 * Every alert: a severity Convoy uses, a summary and a description, and a runbook_url
 * `docs/runbooks.md#<its name, lowercased>` whose anchor exists. Every recording rule is named
 * level:metric:operations.
 */
export function ruleProblems(files: RuleFile[], runbooks: string): string[] {
  const anchors = markdownAnchors(runbooks)
  const problems: string[] = []
  for (const { file, rule } of rulesOf(files)) {
    if (rule.record !== undefined) {
      if (!/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/.test(rule.record))
        problems.push(`${file}: recording rule ${rule.record} is not named level:metric:operations`)
      continue
    }
    const name = `${file}: alert ${rule.alert}`
    const severity = rule.labels?.severity
    if (!severity || !SEVERITIES.includes(severity))
      problems.push(`${name}: severity ${severity ?? 'missing'} (${SEVERITIES.join(' or ')})`)
    for (const key of ['summary', 'description'])
      if (!rule.annotations?.[key]?.trim()) problems.push(`${name}: no ${key} annotation`)
    const runbook = rule.annotations?.runbook_url
    const expected = `docs/runbooks.md#${rule.alert!.toLowerCase()}`
    if (!runbook) problems.push(`${name}: no runbook_url annotation`)
    else if (runbook !== expected) problems.push(`${name}: runbook_url ${runbook}, not ${expected}`)
    else if (!anchors.has(rule.alert!.toLowerCase()))
      problems.push(`${name}: docs/runbooks.md has no section #${rule.alert!.toLowerCase()}`)
  }
  return problems
}

// ── promtool tests cover every alert ────────────────────────────────────────────────────────────

interface PromtoolTests {
  tests?: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>
}

/** Every alert is fired by one promtool case (exp_alerts not empty) and not fired by another. */
export function coverageProblems(
  alerts: string[],
  testFiles: Array<{ file: string; text: string }>,
): string[] {
  const firing = new Set<string>()
  const quiet = new Set<string>()
  for (const { text } of testFiles)
    for (const test of (parse(text) as PromtoolTests).tests ?? [])
      for (const { alertname, exp_alerts } of test.alert_rule_test ?? [])
        (exp_alerts?.length ? firing : quiet).add(alertname)
  return alerts.flatMap((alert) => [
    ...(firing.has(alert) ? [] : [`alert ${alert}: no promtool case fires it`]),
    ...(quiet.has(alert) ? [] : [`alert ${alert}: no promtool case where it does not fire`]),
  ])
}

// ── Metric names ────────────────────────────────────────────────────────────────────────────────

/** Series other software exports: Prometheus itself, RabbitMQ's plugin, kube-state-metrics, the kubelet, node-exporter. */
export const EXTERNAL_METRICS = /^(up|rabbitmq_\w+|kube_\w+|kubelet_\w+|node_\w+)$/
/** Labels every scraped series gets from Prometheus's target (ServiceMonitor), or a histogram's `le`. */
const TARGET_LABELS = ['service', 'job', 'namespace', 'pod', 'instance', 'container', 'endpoint', 'le']

export interface ConvoyMetric {
  type: 'Counter' | 'Gauge' | 'Histogram'
  labels: string[]
  file: string
}

/** The metrics Convoy's code defines (`new Counter|Gauge|Histogram({ name, labelNames })`). */
export function convoyMetrics(root: string): Map<string, ConvoyMetric> {
  const metrics = new Map<string, ConvoyMetric>()
  const files = globSync(['packages/*/src/**/*.ts', 'services/*/src/**/*.ts'], {
    cwd: root,
    exclude: (name) => name === 'node_modules',
  }).filter((file) => !file.endsWith('.test.ts'))
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8')
    for (const match of text.matchAll(/new (Counter|Gauge|Histogram)\(\{([^}]*)\}/g)) {
      const name = /name: '([^']+)'/.exec(match[2]!)?.[1]
      if (!name) continue
      const labels = /labelNames: \[([^\]]*)\]/.exec(match[2]!)?.[1] ?? ''
      metrics.set(name, {
        type: match[1] as ConvoyMetric['type'],
        labels: [...labels.matchAll(/'([^']+)'/g)].map((label) => label[1]!),
        file,
      })
    }
  }
  return metrics
}

const COMPARISONS = new Set(['Gtr', 'Lss', 'Eql', 'Neq', 'Gte', 'Lte'])
const SET_OPERATORS = new Set(['And', 'Or', 'Unless'])
type SyntaxNode = ReturnType<typeof parser.parse>['topNode']
const isNumber = (node: SyntaxNode) => node.name === 'NumberDurationLiteral'

/** The series an expression selects, with the label names of each selector's matchers. */
export function selectors(expr: string): Array<{ metric: string; labels: string[] }> {
  const found: Array<{ metric: string; labels: string[] }> = []
  parser.parse(expr).iterate({
    enter: ({ node }) => {
      if (node.name !== 'VectorSelector') return
      const name = node.getChild('Identifier')
      if (!name) return
      const labels = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []
      found.push({
        metric: expr.slice(name.from, name.to),
        labels: labels.map((matcher) => {
          const label = matcher.getChild('LabelName')!
          return expr.slice(label.from, label.to)
        }),
      })
    },
  })
  return found
}

/**
 * What an alert's expression measures, without its thresholds: the sides of its `and`, `or` and
 * `unless`, each without a comparison to a number (`a > 0 unless on (q) b > 0` → `a`, `b`), and
 * what an `absent` looks for. In a healthy system each returns data, though the alert does not fire.
 */
export function operands(expr: string): string[] {
  const visit = (node: SyntaxNode): string[] => {
    if (node.name === 'PromQL' || node.name === 'ParenExpr') {
      // A ParenExpr's one child is the expression inside its parentheses.
      const inner = node.firstChild
      if (inner) return visit(inner)
    }
    // absent(x) measures x: it returns data exactly when x does not.
    if (node.name === 'FunctionCall' && /^absent(_over_time)?\(/.test(expr.slice(node.from, node.to))) {
      const argument = node.getChild('FunctionCallBody')?.firstChild
      if (argument) return visit(argument)
    }
    if (node.name === 'BinaryExpr') {
      const left = node.firstChild!
      const operator = left.nextSibling!
      const right = node.lastChild!
      if (SET_OPERATORS.has(operator.name)) return [...visit(left), ...visit(right)]
      if (COMPARISONS.has(operator.name) && isNumber(right)) return visit(left)
      if (COMPARISONS.has(operator.name) && isNumber(left)) return visit(right)
    }
    return [expr.slice(node.from, node.to).trim()]
  }
  return visit(parser.parse(expr).topNode)
}

/**
 * Every series an expression reads is a rule's record, a metric Convoy defines (with a histogram's
 * _bucket, _sum or _count) read with labels it has, or one of EXTERNAL_METRICS.
 */
export function metricProblems(files: RuleFile[], convoy: Map<string, ConvoyMetric>): string[] {
  const rules = rulesOf(files)
  const recorded = new Set(rules.flatMap(({ rule }) => (rule.record ? [rule.record] : [])))
  const problems: string[] = []
  for (const { file, rule } of rules) {
    const name = `${file}: ${rule.record ?? `alert ${rule.alert}`}`
    for (const { metric, labels } of selectors(rule.expr)) {
      if (recorded.has(metric) || EXTERNAL_METRICS.test(metric)) continue
      const base = metric.replace(/_(bucket|sum|count)$/, '')
      const defined =
        convoy.get(metric) ?? (convoy.get(base)?.type === 'Histogram' ? convoy.get(base) : undefined)
      if (!defined) {
        problems.push(`${name}: ${metric} is neither defined in Convoy's code nor a known external metric`)
        continue
      }
      for (const label of labels)
        if (!defined.labels.includes(label) && !TARGET_LABELS.includes(label))
          problems.push(
            `${name}: ${metric} has no label ${label} (${defined.file}: ${defined.labels.join(', ') || 'none'})`,
          )
    }
  }
  return problems
}

// ── Alertmanager: the chart's config in kube-prometheus-stack's values ──────────────────────────

export interface AlertmanagerConfig {
  route?: { group_by?: string[] }
  inhibit_rules?: Array<{ source_matchers?: string[]; target_matchers?: string[]; equal?: string[] }>
  [key: string]: unknown
}

/** Where each kind of alert must go: Convoy's by severity, the chart's always-firing ones nowhere. */
const RECEIVERS: Record<string, string> = { critical: 'pager', warning: 'tickets' }
const SILENT = ['Watchdog', 'InfoInhibitor']

/**
 * The Alertmanager config passes `amtool check-config`; amtool routes each of Convoy's alerts (by
 * its name, severity and a service) to the receiver of its severity and the chart's Watchdog and
 * InfoInhibitor to `null`; alerts are grouped by alertname, service and queue; a critical alert of
 * a service inhibits that service's warnings.
 */
export function alertmanagerProblems(config: AlertmanagerConfig, files: RuleFile[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-alertmanager-'))
  try {
    const file = path.join(dir, 'alertmanager.yaml')
    writeFileSync(file, stringify(config))
    const check = amtool(['check-config', file])
    if (!check.ok) return [`amtool check-config: ${check.output.trim()}`]
    const problems: string[] = []
    const receiver = (labels: Record<string, string>) =>
      amtool([
        'config',
        'routes',
        'test',
        `--config.file=${file}`,
        ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
      ]).stdout.trim()
    for (const { rule } of rulesOf(files)) {
      if (!rule.alert) continue
      const severity = rule.labels?.severity ?? ''
      const to = receiver({ alertname: rule.alert, severity, service: 'gateway' })
      if (to !== RECEIVERS[severity])
        problems.push(`alert ${rule.alert} (${severity}) goes to ${to}, not ${RECEIVERS[severity]}`)
    }
    for (const alertname of SILENT) {
      const to = receiver({ alertname, severity: 'none' })
      if (to !== 'null') problems.push(`${alertname} goes to ${to}, not null`)
    }
    const groupBy = config.route?.group_by ?? []
    for (const label of ['alertname', 'service', 'queue'])
      if (!groupBy.includes(label)) problems.push(`alerts are not grouped by ${label}`)
    const inhibits = (config.inhibit_rules ?? []).some(
      (rule) =>
        rule.source_matchers?.some((m) => /^severity\s*=\s*"?critical"?$/.test(m)) &&
        rule.target_matchers?.some((m) => /^severity\s*=\s*"?warning"?$/.test(m)) &&
        rule.equal?.includes('service'),
    )
    if (!inhibits) problems.push("no inhibit rule: a service's critical alert holding back its warnings")
    return problems
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
