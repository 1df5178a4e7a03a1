/**
 * What the embedded broker's journal costs (docs/benchmarks.md §7): position reports published
 * with confirms and consumed with acks, through `embedded://` (memory only) and through
 * `embedded://…?journal=` (each message written, counted as delivered, then forgotten), in this one
 * process as in embedded mode. Reports messages per second and CPU per message, median of rounds.
 *
 *   node bench/broker-journal.ts [--messages=50000] [--rounds=3] [--in-flight=1000] [--prefetch=1000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Type from 'typebox'
import { positionReported } from '@convoy/contracts'
import { createLogger } from '@convoy/platform/log'
import { connectBroker, journaledBrokerUrl } from '@convoy/platform/messaging'
import { median, parseArgs } from './lib/args.ts'
import { awaitQuietMachine, round1 } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'

const options = parseArgs({ messages: 50_000, rounds: 3, 'in-flight': 1000, prefetch: 1000 })
const log = createLogger({ service: 'bench', level: 'warn' })
const Report = Type.Object({
  vehicle: Type.String(),
  lat: Type.Number(),
  lng: Type.Number(),
  timestamp: Type.String(),
})
/** Position reports on their exchange and routing key, with the schema above. */
const reports = { ...positionReported, schema: Report }

async function round(url: string) {
  const broker = connectBroker({ url, log })
  let consumed = 0
  let done!: () => void
  const all = new Promise<void>((resolve) => (done = resolve))
  const subscription = broker.consume({
    queue: 'bench.positions',
    topics: [reports],
    prefetch: options.prefetch,
    handler: async () => {
      if (++consumed === options.messages) done()
    },
  })
  const cpu = process.cpuUsage()
  const started = performance.now()
  let sent = 0
  const lane = async () => {
    while (sent < options.messages) {
      const n = sent++
      await broker.publish(reports, {
        vehicle: `Load ${String(n % 5000).padStart(5, '0')}`,
        lat: 53.38 + (n % 100) * 1e-4,
        lng: -1.47,
        timestamp: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
      })
    }
  }
  await Promise.all(Array.from({ length: options['in-flight'] }, lane))
  await all
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  await subscription.close()
  await broker.close()
  return { perSecond: options.messages / seconds, cpuMicros: (used.user + used.system) / options.messages }
}

const dir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-journal-'))
try {
  const results: Record<string, { perSecond: number; cpuMicros: number; others: number[] }> = {}
  for (const [name, url] of [
    ['memory only', 'embedded://bench'],
    ['with a journal', journaledBrokerUrl('bench', dir)],
  ] as const) {
    const rounds = []
    const others = []
    for (let i = 0; i < options.rounds; i++) {
      others.push(round1(await awaitQuietMachine()))
      progress(`${name}, round ${i + 1}`)
      rounds.push(await round(url))
    }
    results[name] = {
      perSecond: Math.round(median(rounds.map((r) => r.perSecond))),
      cpuMicros: round1(median(rounds.map((r) => r.cpuMicros))),
      others,
    }
  }
  const table = markdownTable(
    ['broker', 'messages/s', 'CPU µs per message'],
    Object.entries(results).map(([name, r]) => [name, r.perSecond, r.cpuMicros]),
  )
  await publish(
    'broker-journal',
    `${options.messages} messages a round, median of ${options.rounds}, ${options['in-flight']} publishes in flight\n\n${table}`,
    { options, machine: await machineInfo(), results },
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
