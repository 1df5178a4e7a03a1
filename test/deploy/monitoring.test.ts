/**
 * Convoy's alert and recording rules (deploy/monitoring/rules), verified offline: the kustomization
 * builds the PrometheusRule objects, which validate against the Prometheus Operator's schema and
 * carry the label kube-prometheus-stack's Prometheus selects rules by; `promtool check rules` and
 * `promtool test rules` pass on their specs (promtool is required: the test fails without it);
 * every alert has a severity, a summary, a description and a runbook in docs/runbooks.md, and a
 * promtool case that fires it and one that does not; every series an expression reads is defined
 * in Convoy's code, with the labels it uses, or is a known external one. The Alertmanager config of
 * kube-prometheus-stack's values passes `amtool check-config` (amtool is required too) and routes
 * each alert by its severity. Each check is shown to catch a mistake seeded into a copy.
 */
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { build, schemaProblems, type K8sObject } from './k8s-checks.ts'
import {
  alertmanagerProblems,
  amtool,
  convoyMetrics,
  coverageProblems,
  extract,
  metricProblems,
  promtool,
  readRuleFiles,
  ruleProblems,
  rulesOf,
  type AlertmanagerConfig,
  type RuleFile,
} from './monitoring-checks.ts'
import { edit } from './seeding.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RULES = path.join(ROOT, 'deploy/monitoring/rules')
const TESTS = path.join(ROOT, 'deploy/monitoring/tests')
const RUNBOOKS = readFileSync(path.join(ROOT, 'docs/runbooks.md'), 'utf8')
const CONVOY_METRICS = convoyMetrics(ROOT)
const testFiles = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => ({ file, text: readFileSync(path.join(dir, file), 'utf8') }))
const VALUES = path.join(ROOT, 'deploy/k8s/addons/values/kube-prometheus-stack.yaml')
const alertmanagerConfig = (values = VALUES) =>
  (parse(readFileSync(values, 'utf8')) as { alertmanager: { config: AlertmanagerConfig } }).alertmanager
    .config
const alertNames = (files: RuleFile[]) =>
  rulesOf(files).flatMap(({ rule }) => (rule.alert ? [rule.alert] : []))

describe('monitoring rules', () => {
  let objects: K8sObject[]
  let files: RuleFile[]
  let work: { dir: string; rules: string[]; tests: string[] }
  before(() => {
    objects = build(RULES)
    files = readRuleFiles(RULES)
    work = extract(RULES, TESTS)
  })
  after(() => rmSync(work.dir, { recursive: true, force: true }))

  test('promtool is installed', () => {
    assert.match(promtool(['--version']).output, /promtool, version/)
  })

  test('the kustomization builds every rule file: PrometheusRules in monitoring, valid, selected by the chart', async () => {
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort(),
      files.map(({ object }) => `PrometheusRule monitoring/${object.metadata.name}`).sort(),
    )
    assert.deepEqual(await schemaProblems(objects), [])
    // The chart's Prometheus selects PrometheusRules labelled release: <release> unless its values
    // set a ruleSelector of their own.
    const values = parse(
      readFileSync(path.join(ROOT, 'deploy/k8s/addons/values/kube-prometheus-stack.yaml'), 'utf8'),
    ) as { prometheus?: { prometheusSpec?: Record<string, unknown> } }
    const spec = values.prometheus?.prometheusSpec ?? {}
    assert.equal(spec.ruleSelector, undefined)
    assert.notEqual(spec.ruleSelectorNilUsesHelmValues, false)
    for (const object of objects) assert.equal(object.metadata.labels?.release, 'kube-prometheus-stack')
  })

  test('promtool check rules passes on every rule file', () => {
    const { ok, output } = promtool(['check', 'rules', ...work.rules])
    assert.ok(ok, output)
  })

  test('promtool test rules passes on every test file', () => {
    const { ok, output } = promtool(['test', 'rules', ...work.tests], path.join(work.dir, 'tests'))
    assert.ok(ok, output)
    assert.equal(work.tests.length, files.length, 'one test file per rule file')
  })

  test('every alert has a severity, a summary, a description and its runbook; every record is level:metric:operations', () => {
    assert.deepEqual(ruleProblems(files, RUNBOOKS), [])
  })

  test('every alert has a promtool case that fires it and one that does not', () => {
    assert.ok(alertNames(files).length > 0)
    assert.deepEqual(coverageProblems(alertNames(files), testFiles(TESTS)), [])
  })

  test('Alertmanager (kube-prometheus-stack): a valid config that pages on critical, tickets warnings, drops the Watchdog', () => {
    assert.match(amtool(['--version']).output, /amtool, version/)
    assert.deepEqual(alertmanagerProblems(alertmanagerConfig(), files), [])
  })

  test("every series an expression reads is Convoy's, with labels it has, or a known external one", () => {
    assert.ok(CONVOY_METRICS.has('http_server_request_duration_seconds'))
    assert.deepEqual(CONVOY_METRICS.get('messages_consumed_total')?.labels, ['queue', 'outcome'])
    assert.deepEqual(metricProblems(files, CONVOY_METRICS), [])
  })
})

describe('monitoring rules: each check catches a mistake seeded into a copy', () => {
  let dir: string
  const copy = () => {
    const target = mkdtempSync(path.join(dir, 'monitoring-'))
    cpSync(path.join(ROOT, 'deploy/monitoring'), target, { recursive: true })
    return { rules: path.join(target, 'rules'), tests: path.join(target, 'tests') }
  }
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'convoy-monitoring-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('an alert without runbook_url, one without severity, and a runbook section missing', () => {
    const { rules } = copy()
    edit(path.join(rules, 'messaging.yaml'), /\n *runbook_url: docs\/runbooks.md#queuegrowing/, '')
    edit(
      path.join(rules, 'media.yaml'),
      /(alert: ConversionsFailing[\s\S]*?)severity: warning/,
      '$1team: media',
    )
    const runbooks = RUNBOOKS.replace(/^## PodCrashLooping$/m, '## Pods crash-looping')
    assert.deepEqual(ruleProblems(readRuleFiles(rules), runbooks), [
      'media.yaml: alert ConversionsFailing: severity missing (critical or warning)',
      'messaging.yaml: alert QueueGrowing: no runbook_url annotation',
      'services.yaml: alert PodCrashLooping: docs/runbooks.md has no section #podcrashlooping',
    ])
  })

  test('a threshold changed without its promtool case: promtool test rules fails', () => {
    const { rules, tests } = copy()
    edit(
      path.join(rules, 'services.yaml'),
      'service:http_server_errors:ratio_rate5m > 0.05',
      'service:http_server_errors:ratio_rate5m > 0.5',
    )
    const work = extract(rules, tests)
    const { ok, output } = promtool(['test', 'rules', ...work.tests], path.join(work.dir, 'tests'))
    rmSync(work.dir, { recursive: true, force: true })
    assert.equal(ok, false)
    assert.match(output, /alertname: HighErrorRatio/)
  })

  test('a broken expression: promtool check rules fails', () => {
    const { rules, tests } = copy()
    edit(
      path.join(rules, 'positions.yaml'),
      'sum by (service) (rate(positions_stored_total[5m]))',
      'sum by (service) (rate(positions_stored_total))',
    )
    const work = extract(rules, tests)
    const { ok, output } = promtool(['check', 'rules', ...work.rules])
    rmSync(work.dir, { recursive: true, force: true })
    assert.equal(ok, false)
    assert.match(output, /positions\.yaml/)
  })

  test('an alert with no case where it stays quiet, and a new alert with no case at all', () => {
    const { tests } = copy()
    edit(
      path.join(tests, 'media.yaml'),
      /\n {6}- eval_time: 60m\n {8}alertname: ConversionsFailing\n(?! {8}exp_alerts)/,
      '\n',
    )
    assert.deepEqual(
      coverageProblems([...alertNames(readRuleFiles(RULES)), 'CertificateExpiring'], testFiles(tests)),
      [
        'alert ConversionsFailing: no promtool case where it does not fire',
        'alert CertificateExpiring: no promtool case fires it',
        'alert CertificateExpiring: no promtool case where it does not fire',
      ],
    )
  })

  test('a metric Convoy does not define, a label it does not have, a histogram suffix on a counter', () => {
    const { rules } = copy()
    const file = path.join(rules, 'positions.yaml')
    edit(file, 'rate(positions_stored_total[5m])', 'rate(positions_saved_total{outcome="ok"}[5m])')
    edit(
      file,
      'rate(simulator_reports_published_total[5m])',
      'rate(simulator_reports_published_total{vehicle="v1"}[5m])',
    )
    edit(
      file,
      'rate(position_ingest_latency_seconds_bucket[5m])',
      'rate(position_ingest_latency_seconds_bucket[5m]) * on () group_left count(positions_stored_total_count)',
    )
    assert.deepEqual(metricProblems(readRuleFiles(rules), CONVOY_METRICS), [
      "positions.yaml: service:positions_stored:rate5m: positions_saved_total is neither defined in Convoy's code nor a known external metric",
      'positions.yaml: service:simulator_reports_published:rate5m: simulator_reports_published_total has no label vehicle (services/position-simulator/src/simulation.ts: none)',
      "positions.yaml: service:position_ingest_latency_seconds:p95_rate5m: positions_stored_total_count is neither defined in Convoy's code nor a known external metric",
    ])
  })

  test('an undefined receiver: amtool check-config fails', () => {
    const values = path.join(mkdtempSync(path.join(dir, 'values-')), 'values.yaml')
    cpSync(VALUES, values)
    edit(values, /receivers:\n( +)- name: 'null'\n +- name: pager\n/, "receivers:\n$1- name: 'null'\n")
    const problems = alertmanagerProblems(alertmanagerConfig(values), readRuleFiles(RULES))
    assert.equal(problems.length, 1, problems.join('\n'))
    assert.match(problems[0]!, /amtool check-config: .*undefined receiver "pager"/s)
  })

  test('criticals routed to tickets, the Watchdog sent on, no grouping by queue, no inhibition', () => {
    const values = path.join(mkdtempSync(path.join(dir, 'values-')), 'values.yaml')
    cpSync(VALUES, values)
    edit(
      values,
      `matchers: ['alertname =~ "Watchdog|InfoInhibitor"']`,
      `matchers: ['alertname = "InfoInhibitor"']`,
    )
    edit(
      values,
      `- receiver: pager\n          matchers: ['severity = "critical"']`,
      `- receiver: pager\n          matchers: ['severity = "page"']`,
    )
    edit(values, 'group_by: [alertname, service, queue]', 'group_by: [alertname, service]')
    edit(values, 'equal: [service]', 'equal: [alertname]')
    const problems = alertmanagerProblems(alertmanagerConfig(values), readRuleFiles(RULES))
    assert.deepEqual(
      problems.filter((p) => !/^alert \w+ \(critical\) goes to tickets, not pager$/.test(p)),
      [
        'Watchdog goes to tickets, not null',
        'alerts are not grouped by queue',
        "no inhibit rule: a service's critical alert holding back its warnings",
      ],
    )
    assert.ok(
      problems.includes('alert ServiceDown (critical) goes to tickets, not pager'),
      problems.join('\n'),
    )
  })

  test('a PrometheusRule the operator would refuse: the schema catches it', async () => {
    const { rules } = copy()
    edit(path.join(rules, 'media.yaml'), '- name: convoy.media.alerts', '- title: convoy.media.alerts')
    const problems = await schemaProblems(build(rules))
    assert.equal(problems.length, 1, problems.join('\n'))
    assert.match(problems[0]!, /PrometheusRule monitoring\/convoy-media/)
  })
})
