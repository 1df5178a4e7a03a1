/**
 * `npm start` (embedded) and `npm run stack`: run the whole system until Ctrl-C; with
 * `-- --prometheus`, and a Prometheus scraping it with Convoy's rules, to look at.
 * Configuration comes from the environment (see docs/configuration.md).
 */
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { loadConfig, port, Type, type Static } from '@convoy/platform/config'
import { shutdownTelemetry } from '@convoy/platform/telemetry'
import type { RunningSystem } from './system.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

const Config = Type.Object({
  PORT: port(8080),
  HOST: Type.String({ default: '127.0.0.1' }),
  CONVOY_DATA_DIR: Type.String({ default: `${ROOT}.data` }),
  CONVOY_POSTGRES_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/postgres' }),
  CONVOY_DATABASE_PREFIX: Type.String({ default: '', pattern: '^([a-z_][a-z0-9_]*)?$' }),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  // Empty: the gateway counts requests in its own memory.
  CONVOY_REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^(rediss?://.*)?$' }),
  // With --prometheus: where its UI answers, and where RabbitMQ's Prometheus plugin does (stack).
  CONVOY_PROMETHEUS_PORT: port(9090),
  CONVOY_RABBITMQ_METRICS_URL: Type.String({ default: 'http://127.0.0.1:15692' }),
})

const [topology = 'embedded', ...flags] = process.argv.slice(2)
const unknown = flags.filter((flag) => flag !== '--prometheus')
if (unknown.length > 0) {
  console.error(`Unknown option ${unknown.join(' ')}: the one option is --prometheus`)
  process.exit(2)
}
// The embedded topology runs every service in this process: OpenTelemetry (when
// OTEL_EXPORTER_OTLP_ENDPOINT turns it on) must start before any of them is imported, so the
// services are imported only after it. The stack's services load it themselves (spawnService).
// In one process all services share one resource: it is named `convoy`, and each span says its
// service in `convoy.service` (embedded.ts starts each service in its context).
if (topology === 'embedded') {
  process.env.OTEL_SERVICE_NAME ??= 'convoy'
  await import('@convoy/platform/telemetry/register')
}
const { startEmbedded } = await import('./embedded.ts')
const { startStack } = await import('./stack.ts')
const { startPrometheus } = await import('./prometheus.ts')
let system: RunningSystem | undefined
let stopping: { at: number; exitCode: number } | undefined

/**
 * A second signal within this long is the first one again: `npm start` and `npm run stack` pass
 * the terminal's Ctrl-C on to the launcher, which the terminal has already sent it.
 */
const SAME_SIGNAL_MS = 1000

/** On Ctrl-C or SIGTERM: stops every service in order (a second signal: at once). */
function stop(exitCode: number) {
  if (stopping) {
    if (performance.now() - stopping.at < SAME_SIGNAL_MS) return
    process.stdout.write('Stopping at once.\n')
    process.exit(1)
  }
  stopping = { at: performance.now(), exitCode }
  process.stdout.write('Stopping Convoy...\n')
  // Still starting: stopped as soon as it runs (a stack's services in order, not all at once).
  if (system) close(system, exitCode)
}

function close(running: RunningSystem, exitCode: number) {
  running.close().then(
    async () => {
      process.stdout.write('Convoy stopped.\n')
      await shutdownTelemetry()
      process.exit(exitCode)
    },
    (error: unknown) => {
      console.error(`Convoy did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`)
      process.exit(1)
    },
  )
}

/** Shown as soon as a service hands it over, so a later failure to start cannot swallow it. */
const showNotice = (notice: string) => process.stdout.write(`\n${notice}\n`)

async function main(): Promise<RunningSystem> {
  const config = loadConfig(Config)
  const running = await startSystem(config)
  if (!flags.includes('--prometheus')) return running
  const prometheus = await startPrometheus({
    ops: running.ops,
    // The embedded broker has no metrics endpoint; RabbitMQ's plugin may be off (a notice says so).
    rabbitmq: topology === 'stack' ? await rabbitmqMetrics(config) : undefined,
    port: config.CONVOY_PROMETHEUS_PORT,
    dataDir: path.join(config.CONVOY_DATA_DIR, 'prometheus'),
    interval: '5s',
  }).catch(async (error: unknown) => {
    await running.close()
    throw error
  })
  showNotice(`Prometheus, with Convoy's rules: ${prometheus.url.replace('127.0.0.1', 'localhost')}`)
  return {
    ...running,
    async close() {
      await prometheus.close()
      await running.close()
    },
  }
}

/** RabbitMQ's Prometheus plugin, if it answers: the queues of AMQP_URL's vhost. */
async function rabbitmqMetrics(config: Static<typeof Config>) {
  const url = config.CONVOY_RABBITMQ_METRICS_URL
  const answer = await fetch(`${url}/metrics`).catch(() => undefined)
  if (!answer?.ok) {
    showNotice(
      `RabbitMQ's Prometheus plugin does not answer at ${url}: no queue metrics (rabbitmq-plugins enable rabbitmq_prometheus)`,
    )
    return undefined
  }
  return { url, vhost: decodeURIComponent(new URL(config.AMQP_URL).pathname.slice(1)) || '/' }
}

async function startSystem(config: Static<typeof Config>): Promise<RunningSystem> {
  if (topology === 'embedded') {
    return startEmbedded({
      dataDir: config.CONVOY_DATA_DIR,
      port: config.PORT,
      host: config.HOST,
      env: process.env,
      onNotice: showNotice,
    })
  }
  if (topology === 'stack') {
    return startStack({
      postgresUrl: config.CONVOY_POSTGRES_URL,
      databasePrefix: config.CONVOY_DATABASE_PREFIX,
      amqpUrl: config.AMQP_URL,
      redisUrl: config.CONVOY_REDIS_URL || undefined,
      port: config.PORT,
      host: config.HOST,
      onNotice: showNotice,
      onExit: (service, code) => {
        console.error(`${service} exited unexpectedly (code ${code}); stopping the rest.`)
        stop(1)
      },
    })
  }
  throw new Error(`unknown topology ${JSON.stringify(topology)}: use embedded or stack`)
}

process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

main().then(
  (running) => {
    system = running
    if (stopping) return close(running, stopping.exitCode)
    const services = Object.entries(running.ops)
      .map(([name, url]) => `  ${name.padEnd(20)} ${url}`)
      .join('\n')
    process.stdout.write(
      `\nConvoy is running (${topology}) at ${running.url.replace('127.0.0.1', 'localhost')}\n` +
        `Health, readiness and metrics of each service (/healthz, /readyz, /metrics):\n${services}\nPress Ctrl-C to stop.\n\n`,
    )
  },
  (error: unknown) => {
    console.error(`Convoy failed to start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
