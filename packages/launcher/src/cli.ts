/**
 * `npm start` (embedded) and `npm run stack`: run the whole system until Ctrl-C.
 * Configuration comes from the environment (see docs/configuration.md).
 */
import { fileURLToPath } from 'node:url'
import { startEmbedded } from './embedded.ts'
import { startStack } from './stack.ts'
import type { RunningSystem } from './system.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const env = process.env
const topology = process.argv[2] ?? 'embedded'

async function main(): Promise<RunningSystem> {
  if (topology === 'embedded') {
    return startEmbedded({
      dataDir: env.CONVOY_DATA_DIR ?? `${ROOT}.data`,
      port: Number(env.PORT ?? 8080),
      host: env.HOST ?? '127.0.0.1',
      env,
    })
  }
  if (topology === 'stack') {
    return startStack({
      postgresUrl: env.CONVOY_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      amqpUrl: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      ports: {
        gateway: Number(env.PORT ?? 8080),
        'position-tracker': 8081,
        'position-simulator': 8082,
        web: 8090,
      },
    })
  }
  throw new Error(`unknown topology ${JSON.stringify(topology)}: use embedded or stack`)
}

main().then(
  (system) => {
    const shown = system.url.replace('127.0.0.1', 'localhost')
    process.stdout.write(`\nConvoy is running (${topology}) at ${shown}\nPress Ctrl-C to stop.\n\n`)
    let stopping = false
    const stop = () => {
      if (stopping) return
      stopping = true
      process.stdout.write('Stopping Convoy...\n')
      system.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  },
  (error: unknown) => {
    console.error(`Convoy failed to start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
