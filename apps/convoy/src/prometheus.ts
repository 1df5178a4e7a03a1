import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { stringify, parse } from 'yaml'
import { spawnTied } from '@convoy/platform/lifecycle'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** Convoy's recording and alert rules, as PrometheusRule objects (the cluster's form). */
export const RULES_DIR = path.join(ROOT, 'deploy/monitoring/rules')

export interface PrometheusOptions {
  /** Each service's operational endpoint (its `/metrics`): a scrape job named after the service. */
  ops: Partial<Record<string, string>>
  /**
   * RabbitMQ's Prometheus plugin (`http://host:15692`), scraped per queue as the cluster's is;
   * `vhost` keeps only that vhost's queues (a test's own, beside other tests').
   */
  rabbitmq?: { url: string; vhost?: string }
  /** Where Prometheus listens, on 127.0.0.1. */
  port: number
  /** Its database (and its configuration and rule files, written here). */
  dataDir: string
  /** How often it scrapes and evaluates the rules: the cluster's 30 s by default. */
  interval?: string
  stdio?: 'inherit' | 'ignore'
}

export interface RunningPrometheus {
  url: string
  close(): Promise<void>
}

/** The PrometheusRule objects of `dir` (its kustomization.yaml aside), parsed, by file name. */
export function readPrometheusRules(dir: string): Array<{ file: string; object: { spec: unknown } }> {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort()
    .map((file) => ({
      file,
      object: parse(readFileSync(path.join(dir, file), 'utf8')) as { spec: unknown },
    }))
}

/**
 * The PrometheusRule objects of `dir` as plain rule files in `target` (each object's `spec`, its
 * `groups`), which is what Prometheus and promtool read. Returns their paths.
 */
export function writeRuleFiles(dir: string, target: string): string[] {
  mkdirSync(target, { recursive: true })
  return readPrometheusRules(dir).map(({ file, object }) => {
    const written = path.join(target, file)
    writeFileSync(written, stringify(object.spec))
    return written
  })
}

/**
 * The configuration of a Prometheus that sees a running system as the cluster's sees it: a job per
 * service named after it (the `job` of `up`, which ServiceDown reads), RabbitMQ's per-queue
 * metrics, and Convoy's rules.
 */
export function prometheusConfig(options: PrometheusOptions, ruleFiles: string[]): string {
  const interval = options.interval ?? '30s'
  const target = (url: string) => new URL(url).host
  const services = Object.entries(options.ops).flatMap(([job, url]) =>
    url ? [{ job_name: job, static_configs: [{ targets: [target(url)] }] }] : [],
  )
  const rabbitmq = options.rabbitmq && {
    // Named as the cluster's Prometheus names the broker's target (its Service, queue), which
    // BrokerDown reads.
    job_name: 'queue',
    // The cluster's broker serves per-queue series on /metrics (prometheus.return_per_object_metrics);
    // a broker left at its defaults serves them here.
    metrics_path: '/metrics/per-object',
    static_configs: [{ targets: [target(options.rabbitmq.url)] }],
    ...(options.rabbitmq.vhost !== undefined && {
      metric_relabel_configs: [
        // Series of other vhosts go; series of no vhost (the node's own) stay.
        { source_labels: ['vhost'], regex: `(${escapeRegex(options.rabbitmq.vhost)})?`, action: 'keep' },
      ],
    }),
  }
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: [...services, ...(rabbitmq ? [rabbitmq] : [])],
  })
}

/**
 * Starts Prometheus (the `prometheus` on the PATH: Debian's package) scraping a running system with
 * Convoy's rules, and resolves once it is ready. It dies with the caller (`spawnTied`); `close`
 * stops it.
 *
 * @example
 * const prometheus = await startPrometheus({ ops: system.ops, port: 9090, dataDir: '.data/prometheus' })
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const ruleFiles = writeRuleFiles(RULES_DIR, path.join(options.dataDir, 'rules'))
  const configFile = path.join(options.dataDir, 'prometheus.yml')
  writeFileSync(configFile, prometheusConfig(options, ruleFiles))
  const url = `http://127.0.0.1:${options.port}`
  const child = spawnTied(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(options.dataDir, 'data')}`,
      '--storage.tsdb.retention.time=2d',
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--log.level=warn',
    ],
    { deathSignal: 'SIGTERM', stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'] },
  )
  // Whichever comes first: ready, or the reason it never will be.
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`prometheus exited (code ${code}) before it was ready`)
  })
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`prometheus could not start (${(error as Error).message}): apt-get install prometheus`)
  })
  exited.catch(() => {})
  failed.catch(() => {})
  try {
    await Promise.race([ready(url), exited, failed])
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    url,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

/** Resolves once Prometheus answers /-/ready (its database open, its rules loaded). */
async function ready(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const answer = await fetch(`${url}/-/ready`).catch(() => undefined)
    if (answer?.ok) return
    await delay(100)
  }
  throw new Error(`prometheus was not ready at ${url} within ${timeoutMs} ms`)
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
