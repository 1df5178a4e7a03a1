/**
 * Convoy's rules against a real Prometheus (Debian's package, required: the test fails without
 * it) scraping the stack topology: every service its own process on real PostgreSQL and RabbitMQ,
 * with RabbitMQ's Prometheus plugin (required too: `rabbitmq-plugins enable rabbitmq_prometheus`).
 * Driven as people use it (positions from the simulator, a sign-in and a failed one, the live
 * feed, an upload converted and emailed), every recording rule and every dashboard panel returns data, every alert's
 * expression measures something real (each side of it, without its threshold, returns data: only
 * the alerts on Kubernetes' own series cannot here), no alert fires while all is well, and a
 * stopped tracker makes the alerts about it go pending.
 */
import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Media } from '@convoy/contracts'
import {
  eventually,
  freePorts,
  makeTestVideo,
  startMailCatcher,
  TEST_AMQP_HOST,
  type MailCatcher,
} from '@convoy/platform/testing'
import { startPrometheus, RULES_DIR, type RunningPrometheus } from '@convoy/system/prometheus'
import { login, openLiveFeed, startTestStack, type LiveFeed, type TestStack } from '@convoy/system/testing'
import { dashboardQueries } from '../../deploy/monitoring/dashboards/queries.ts'
import { operands, readRuleFiles, rulesOf, selectors } from './monitoring-checks.ts'

/** RabbitMQ's Prometheus plugin, on the test broker's host. */
const RABBITMQ_METRICS = `http://${TEST_AMQP_HOST.split(':')[0]}:15692`
/** Series only a Kubernetes cluster has: kube-state-metrics' and the kubelet's. */
const KUBERNETES_ONLY = /^(kube|kubelet)_/
const RULES = rulesOf(readRuleFiles(RULES_DIR)).map(({ rule }) => rule)

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}
interface Alert {
  labels: Record<string, string>
  state: 'pending' | 'firing'
}

describe('monitoring against a real Prometheus', () => {
  let dir: string
  let smtp: MailCatcher
  let system: TestStack
  let prometheus: RunningPrometheus
  let live: LiveFeed

  /** An instant query through Prometheus's HTTP API; a query Prometheus refuses throws. */
  async function query(expr: string): Promise<Sample[]> {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`)
    const body = (await response.json()) as { status: string; error?: string; data: { result: Sample[] } }
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
    return body.data.result
  }
  async function alerts(): Promise<Alert[]> {
    const response = await fetch(`${prometheus.url}/api/v1/alerts`)
    return ((await response.json()) as { data: { alerts: Alert[] } }).data.alerts
  }
  /** Waits until every query returns data; then the ones that never did are the answer. */
  async function withoutData(queries: string[], timeoutMs = 90_000): Promise<string[]> {
    let empty = queries
    await eventually(
      async () => {
        const results = await Promise.all(
          empty.map(async (expr) => ((await query(expr)).length ? [] : [expr])),
        )
        empty = results.flat()
        return empty.length === 0
      },
      'every query returning data',
      timeoutMs,
    ).catch(() => {})
    return empty
  }

  before(async () => {
    const plugin = await fetch(`${RABBITMQ_METRICS}/metrics`).catch(() => undefined)
    assert.ok(
      plugin?.ok,
      `RabbitMQ's Prometheus plugin does not answer at ${RABBITMQ_METRICS}: rabbitmq-plugins enable rabbitmq_prometheus`,
    )
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-monitoring-'))
    const clip = path.join(dir, 'incident.mp4')
    await makeTestVideo(clip, { seconds: 1 })
    smtp = await startMailCatcher()
    system = await startTestStack({ serviceEnv: { notification: { SMTP_PORT: String(smtp.port) } } })
    const [port] = (await freePorts(1)) as [number]
    prometheus = await startPrometheus({
      ops: system.ops,
      rabbitmq: {
        url: RABBITMQ_METRICS,
        vhost: decodeURIComponent(new URL(system.amqpUrl).pathname.slice(1)),
      },
      port,
      dataDir: path.join(dir, 'prometheus'),
      interval: '1s',
    })

    // Every target scraped once before anything happens: a counter first seen after its first
    // increase would show no rate.
    const jobs = [...Object.keys(system.ops), 'queue']
    assert.deepEqual(
      await withoutData(
        jobs.map((job) => `up{job="${job}"} == 1`),
        30_000,
      ),
      [],
    )

    // What people do: a failed sign-in and a good one, the map's first answer and its live feed,
    // a dashcam video uploaded, converted and emailed.
    await assert.rejects(login(system.url, 'admin', 'not the password'), /401/)
    const token = await login(system.url)
    const headers = { authorization: `Bearer ${token}` }
    assert.equal((await fetch(`${system.url}/api/vehicles`, { headers })).status, 200)
    live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, token)
    const form = new FormData()
    form.append('file', await openAsBlob(clip), 'incident.mp4')
    const upload = await fetch(`${system.url}/api/media`, { method: 'POST', body: form, headers })
    assert.equal(upload.status, 202)
    const job = (await upload.json()) as Media
    await eventually(
      () =>
        live.frames.some(
          (frame) => frame.type === 'media' && frame.media.id === job.id && frame.media.status === 'ready',
        ),
      'the MP3 ready',
      60_000,
    )
    await eventually(() => smtp.mails.length > 0, 'the email', 30_000)
  })

  after(async () => {
    live?.close()
    await prometheus?.close()
    await system?.close()
    await smtp?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('every rule loads and evaluates without an error', async () => {
    type Rules = {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }
    }
    const evaluated = await eventually(async () => {
      const { data } = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as Rules
      const rules = data.groups.flatMap((group) => group.rules)
      return rules.every((rule) => rule.health !== 'unknown') ? rules : undefined
    }, 'every rule evaluated once')
    assert.equal(evaluated.length, RULES.length)
    assert.deepEqual(
      evaluated.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError}`),
      [],
    )
  })

  test('every recording rule returns data', async () => {
    const records = RULES.flatMap((rule) => (rule.record ? [rule.record] : []))
    assert.deepEqual(await withoutData(records), [])
  })

  test("every alert's expression, without its thresholds, returns data; only Kubernetes' own alerts cannot here", async () => {
    const alertRules = RULES.filter((rule) => rule.alert)
    const needsKubernetes = (expr: string) =>
      selectors(expr).some(({ metric }) => KUBERNETES_ONLY.test(metric))
    assert.deepEqual(
      alertRules.filter((rule) => needsKubernetes(rule.expr)).map((rule) => rule.alert),
      ['ServiceNotReady', 'PodCrashLooping', 'PersistentVolumeFilling'],
    )
    const queries = alertRules
      .filter((rule) => !needsKubernetes(rule.expr))
      .flatMap((rule) => operands(rule.expr))
    assert.deepEqual(await withoutData([...new Set(queries)]), [])
  })

  test('every dashboard panel returns data', async () => {
    const queries = dashboardQueries()
    const empty = await withoutData([...new Set(queries.map(({ promql }) => promql))])
    assert.deepEqual(
      queries
        .filter(({ promql }) => empty.includes(promql))
        .map((q) => `${q.dashboard} / ${q.panel}: ${q.expr}`),
      [],
    )
  })

  test('no alert is pending or firing while all is well', async () => {
    assert.deepEqual(await alerts(), [])
  })

  // Last: it stops a service.
  test('the tracker stopped: ServiceDown and QueueWithoutConsumer go pending for it', async () => {
    process.kill(system.pids['position-tracker']!, 'SIGTERM')
    const pending = await eventually(
      async () => {
        const now = await alerts()
        const about = (name: string, label: string, value: string) =>
          now.find((alert) => alert.labels.alertname === name && alert.labels[label] === value)
        const down = about('ServiceDown', 'job', 'position-tracker')
        const unconsumed = about('QueueWithoutConsumer', 'queue', 'position-tracker.positions')
        return down && unconsumed && [down.state, unconsumed.state]
      },
      'the alerts about the tracker',
      30_000,
    )
    // Their `for` (5 minutes) has not passed: pending, not yet firing.
    assert.deepEqual(pending, ['pending', 'pending'])
  })
})
