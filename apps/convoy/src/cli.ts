/**
 * `npm start` (embedded) and `npm run stack`: run the whole system until Ctrl-C.
 * Configuration comes from the environment (see docs/configuration.md).
 */
import { fileURLToPath } from 'node:url'
import { loadConfig, port, Type } from '@convoy/platform/config'
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
})

const topology = process.argv[2] ?? 'embedded'
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
