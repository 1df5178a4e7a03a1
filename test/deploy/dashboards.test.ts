/**
 * Convoy's Grafana dashboards (deploy/monitoring/dashboards), verified offline: regenerating them
 * from dashboards.ts changes nothing in the committed JSON; each has its own uid and title and
 * reads Prometheus by the uid the chart's Grafana gives it; every query is valid PromQL once its
 * variables are substituted (promtool) and reads only series that exist (Convoy's code, prom-client's
 * defaults, the recording rules, known external ones), every one of Convoy's with the label
 * `service`; deploy/monitoring builds them into ConfigMaps the Grafana sidecar of
 * kube-prometheus-stack's values loads, with its admin from the Secret install.sh makes. Each check
 * is shown to catch a mistake seeded into a copy.
 */
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createMetrics } from '@convoy/platform/metrics'
import { Counter } from 'prom-client'
import { parse } from 'yaml'
import { PROMETHEUS } from '../../deploy/monitoring/dashboards/dashboards.ts'
import { dashboardQueries, substitute, type PanelQuery } from '../../deploy/monitoring/dashboards/queries.ts'
import { at, dryRun } from './addons-checks.ts'
import {
  configMapProblems,
  dashboardProblems,
  defaultNodeMetrics,
  promqlProblems,
  queryMetricProblems,
  readDashboards,
  regenerationProblems,
} from './dashboard-checks.ts'
import { build, schemaProblems, type K8sObject } from './k8s-checks.ts'
import { convoyMetrics, readRuleFiles, type ConvoyMetric } from './monitoring-checks.ts'
import { edit } from './seeding.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DASHBOARDS = path.join(ROOT, 'deploy/monitoring/dashboards')
const RULES = readRuleFiles(path.join(ROOT, 'deploy/monitoring/rules'))
const VALUES = parse(
  readFileSync(path.join(ROOT, 'deploy/k8s/addons/values/kube-prometheus-stack.yaml'), 'utf8'),
) as Record<string, unknown>
const DATASOURCE = { type: 'prometheus', uid: 'prometheus' }
/** Where and how the chart's Grafana sidecar finds dashboards. */
const SIDECAR = { namespace: 'monitoring', label: 'grafana_dashboard', value: '1' }
const UIDS = [
  'convoy-auth',
  'convoy-fleet',
  'convoy-media',
  'convoy-messaging',
  'convoy-node-runtime',
  'convoy-overview',
]

describe('dashboards', () => {
  let metrics: Map<string, ConvoyMetric>
  let queries: PanelQuery[]
  let objects: K8sObject[]
  before(async () => {
    metrics = new Map([...(await defaultNodeMetrics()), ...convoyMetrics(ROOT)])
    queries = dashboardQueries()
    objects = build(path.join(ROOT, 'deploy/monitoring'))
  })

  test('regenerating them changes nothing in the committed JSON', () => {
    assert.deepEqual(regenerationProblems(DASHBOARDS), [])
  })

  test('six dashboards, each <uid>.json with its own uid and title, reading Prometheus by uid', () => {
    const dashboards = readDashboards(DASHBOARDS)
    assert.deepEqual(
      dashboards.map(({ dashboard }) => dashboard.uid),
      UIDS,
    )
    assert.deepEqual(PROMETHEUS, DATASOURCE)
    assert.deepEqual(dashboardProblems(dashboards, DATASOURCE), [])
  })

  test('dashboardQueries gives every query of every panel, its variables substituted', () => {
    const panels = readDashboards(DASHBOARDS).flatMap(({ dashboard }) =>
      (dashboard.panels ?? []).filter((p) => p.type !== 'row'),
    )
    const targets = panels.flatMap((panel) => panel.targets ?? [])
    assert.equal(queries.length, targets.length)
    assert.deepEqual(new Set(queries.map((q) => q.dashboard)), new Set(UIDS))
    for (const query of queries) assert.doesNotMatch(query.promql, /\$/, `${query.dashboard}: ${query.panel}`)
    const overview = queries.find((q) => q.dashboard === 'convoy-overview' && q.panel === 'CPU')!
    assert.equal(overview.promql, 'sum by (service) (rate(process_cpu_seconds_total{service=~".+"}[5m]))')
    assert.throws(() => substitute('up{job="$job"}'), /no value for the variable \$job/)
  })

  test('every query is valid PromQL (promtool check rules)', () => {
    assert.deepEqual(promqlProblems(queries), [])
  })

  test("every series a query reads is Convoy's with labels it has, a Node default, a recording rule or an external one", () => {
    assert.ok(metrics.has('nodejs_eventloop_lag_p99_seconds'))
    assert.deepEqual(metrics.get('nodejs_gc_duration_seconds')?.labels, ['kind'])
    assert.deepEqual(queryMetricProblems(queries, RULES, metrics), [])
  })

  test("a service's registry labels every series with the service, Convoy's and the defaults", async () => {
    const registry = createMetrics('gateway')
    // As Convoy's code defines its metrics: on the service's registry.
    new Counter({ name: 'live_frames_sent_total', help: 'Frames sent', registers: [registry] }).inc()
    const samples = (await registry.metrics()).split('\n').filter((line) => line && !line.startsWith('#'))
    assert.ok(samples.some((line) => line.startsWith('live_frames_sent_total{')))
    assert.ok(samples.some((line) => line.startsWith('process_resident_memory_bytes{')))
    assert.deepEqual(
      samples.filter((line) => !line.includes('service="gateway"')),
      [],
    )
  })

  test('deploy/monitoring builds them into ConfigMaps the sidecar loads, beside the rules; all validate', async () => {
    assert.deepEqual(configMapProblems(objects, DASHBOARDS, SIDECAR), [])
    assert.deepEqual(
      objects.map((o) => o.kind).sort(),
      [...UIDS.map(() => 'ConfigMap'), ...RULES.map(() => 'PrometheusRule')].sort(),
    )
    assert.deepEqual(await schemaProblems(objects), [])
  })

  test("the chart's Grafana: the sidecar that loads them, Prometheus by that uid, the admin from install.sh's Secret", () => {
    const grafana = (...keys: string[]) => at(VALUES, 'grafana', ...keys)
    assert.equal(grafana('enabled'), true)
    assert.deepEqual(
      [
        grafana('sidecar', 'dashboards', 'enabled'),
        grafana('sidecar', 'dashboards', 'label'),
        grafana('sidecar', 'dashboards', 'labelValue'),
      ],
      [true, SIDECAR.label, SIDECAR.value],
    )
    assert.match(String(grafana('sidecar', 'dashboards', 'searchNamespace')), /^(ALL|.*\bmonitoring\b.*)$/)
    assert.equal(grafana('sidecar', 'datasources', 'uid'), DATASOURCE.uid)
    assert.equal(grafana('adminPassword'), undefined, 'no password in the values')
    const secret = grafana('admin', 'existingSecret')
    const run = dryRun(path.join(ROOT, 'deploy/k8s/addons/install.sh'), {
      CLUSTER_NAME: 'convoy',
      AWS_REGION: 'eu-west-1',
      VPC_ID: 'vpc-0123456789abcdef0',
      KARPENTER_NODE_ROLE: 'convoy-karpenter-node',
      KARPENTER_INTERRUPTION_QUEUE: 'convoy-karpenter',
      KARPENTER_CPU_LIMIT: '32',
    })
    const create = run.commands.findIndex((line) =>
      line.includes(`kubectl -n monitoring create secret generic ${String(secret)} `),
    )
    assert.ok(create >= 0, `install.sh creates the Secret ${String(secret)}`)
    for (const key of [grafana('admin', 'userKey'), grafana('admin', 'passwordKey')])
      assert.match(run.commands[create]!, new RegExp(`--from-(literal|file)=${String(key)}=`))
    const chart = run.releases.find((r) => r.name === 'kube-prometheus-stack')!
    assert.ok(create < chart.line, 'before the chart, whose Grafana needs it')
  })
})

describe('dashboards: each check catches a mistake seeded into a copy', () => {
  let dir: string
  let metrics: Map<string, ConvoyMetric>
  const copy = () => {
    const target = mkdtempSync(path.join(dir, 'monitoring-'))
    cpSync(path.join(ROOT, 'deploy/monitoring'), target, { recursive: true })
    return path.join(target, 'dashboards')
  }
  const query = (dashboard: string, panel: string, expr: string): PanelQuery => ({
    dashboard,
    panel,
    expr,
    promql: substitute(expr),
  })
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'convoy-dashboards-test-'))
    metrics = new Map([...(await defaultNodeMetrics()), ...convoyMetrics(ROOT)])
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('JSON edited by hand, one no longer generated, one missing: regeneration differs', () => {
    const dashboards = copy()
    edit(path.join(dashboards, 'convoy-fleet.json'), '"Clients dropped"', '"Clients lost"')
    writeFileSync(path.join(dashboards, 'convoy-old.json'), '{}\n')
    rmSync(path.join(dashboards, 'convoy-media.json'))
    assert.deepEqual(regenerationProblems(dashboards), [
      'convoy-fleet.json: differs from what generate.ts writes (run npm run dashboards)',
      'convoy-media.json: generated, not committed',
      'convoy-old.json: committed, no longer generated',
    ])
  })

  test('a uid and a title taken twice, a file not named by its uid, another data source', () => {
    const copyOf = (uid: string) =>
      structuredClone(readDashboards(DASHBOARDS).find(({ dashboard }) => dashboard.uid === uid))
    const [fleet, media, messaging] = ['convoy-fleet', 'convoy-media', 'convoy-messaging'].map(copyOf)
    media!.dashboard.uid = fleet!.dashboard.uid
    messaging!.dashboard.title = fleet!.dashboard.title
    fleet!.dashboard.panels!.find((p) => p.title === 'Vehicles reporting')!.datasource = {
      type: 'prometheus',
      uid: 'P1809F7CD0C75ACF3',
    }
    assert.deepEqual(dashboardProblems([fleet!, media!, messaging!], DATASOURCE), [
      'convoy-fleet.json: panel Vehicles reporting: data source {"type":"prometheus","uid":"P1809F7CD0C75ACF3"}',
      'convoy-media.json: its uid is convoy-fleet',
      "convoy-media.json: uid convoy-fleet is also convoy-fleet.json's",
      "convoy-messaging.json: title Convoy / Fleet is also convoy-fleet.json's",
    ])
  })

  test('a metric nobody defines, a label it does not have, a default metric misnamed, a rule not recorded', () => {
    assert.deepEqual(
      queryMetricProblems(
        [
          query('convoy-fleet', 'Positions stored', `sum(rate(positions_saved_total[$__rate_interval]))`),
          query('convoy-fleet', 'Vehicles reporting', 'sum by (vehicle) (simulator_vehicles{vehicle="v1"})'),
          query(
            'convoy-node-runtime',
            'Heap used',
            'max by (service) (nodejs_heap_used_bytes{service=~"$service"})',
          ),
          query('convoy-overview', 'p95 latency', 'service:http_server_request_duration_seconds:p90_rate5m'),
        ],
        RULES,
        metrics,
      ),
      [
        "convoy-fleet.json: panel Positions stored: positions_saved_total is neither defined in Convoy's code nor a known external metric",
        'convoy-fleet.json: panel Vehicles reporting: simulator_vehicles has no label vehicle (services/position-simulator/src/simulation.ts: none)',
        "convoy-node-runtime.json: panel Heap used: nodejs_heap_used_bytes is neither defined in Convoy's code nor a known external metric",
        "convoy-overview.json: panel p95 latency: service:http_server_request_duration_seconds:p90_rate5m is neither defined in Convoy's code nor a known external metric",
      ],
    )
  })

  test('a query that is not PromQL: promtool names its panel', () => {
    const [problem, ...rest] = promqlProblems([
      query('convoy-fleet', 'Vehicles reporting', 'sum(simulator_vehicles)'),
      query('convoy-media', 'Bytes uploaded', 'sum(rate(media_upload_bytes_total))'),
    ])
    assert.deepEqual(rest, [])
    assert.match(problem!, /convoy-media: Bytes uploaded/)
  })

  test('a dashboard left out of the kustomization, one without the label: the ConfigMaps show it', () => {
    const dashboards = copy()
    edit(path.join(dashboards, 'kustomization.yaml'), / {2}- name: dashboard-convoy-media\n.*\n.*\n/, '')
    edit(
      path.join(dashboards, 'kustomization.yaml'),
      /generatorOptions:\n {2}disableNameSuffixHash: true\n {2}labels:\n {4}grafana_dashboard: '1'\n/,
      'generatorOptions:\n  disableNameSuffixHash: true\n  labels:\n',
    )
    assert.deepEqual(configMapProblems(build(dashboards), dashboards, SIDECAR), [
      'convoy-auth.json: ConfigMap monitoring/dashboard-convoy-auth is not labelled grafana_dashboard: "1"',
      'convoy-fleet.json: ConfigMap monitoring/dashboard-convoy-fleet is not labelled grafana_dashboard: "1"',
      'convoy-media.json: in 0 ConfigMaps, not 1',
      'convoy-messaging.json: ConfigMap monitoring/dashboard-convoy-messaging is not labelled grafana_dashboard: "1"',
      'convoy-node-runtime.json: ConfigMap monitoring/dashboard-convoy-node-runtime is not labelled grafana_dashboard: "1"',
      'convoy-overview.json: ConfigMap monitoring/dashboard-convoy-overview is not labelled grafana_dashboard: "1"',
    ])
  })
})
