/**
 * fleet-events' evaluation: how many reports a second one evaluator gets through, against how
 * many geofences, on real PostgreSQL. Each batch is the service's transaction (lock the vehicles,
 * read their states, the rules and the geofences' revision, evaluate, store events and states),
 * called as the consumer calls it, without the broker (whose share the ingestion benchmark measures).
 *
 *   node bench/fleet-events.ts [--geofences=0,100,1000] [--points=100] [--vehicles=1000]
 *     [--batch=200] [--batches=100] [--rounds=3]
 *
 * Half the geofences are circles (100 m–2 km), half polygons of `--points` corners (a star: its
 * bounding box holds far more than its inside), scattered over a 40 km square that the vehicles
 * drive across at 50 km/h, one report a second each. Each round evaluates `--batches` batches of
 * `--batch` reports after a warm-up (every vehicle's first report, five batches more); the
 * figures are medians over the rounds, each round after waiting for an idle machine.
 */
import type { GeofenceShape, PositionReport } from '@convoy/contracts'
import { openDatabase } from '@convoy/platform/db'
import { testLogger } from '@convoy/platform/testing'
import { median, parseArgs } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { awaitQuietMachine } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { scratchDatabase } from './lib/scratch.ts'
import { migrations, type Tables } from '../services/fleet-events/src/migrations.ts'
import { fenceCache, fleetRepository } from '../services/fleet-events/src/repository.ts'

const options = parseArgs({
  geofences: '0,100,1000',
  points: 100,
  vehicles: 1000,
  batch: 200,
  batches: 100,
  rounds: 3,
})
const ORIGIN = { lat: 53.2, lng: -1.7 }
/** The square's side in degrees: about 40 km north–south at 53°N (and 27 km east–west). */
const SIDE = 0.36
const METRE = 1 / 111_195
/** A deterministic scatter (no Math.random: every run draws the same map). */
const scatter = (i: number, salt: number) =>
  (((Math.sin(i * 12.9898 + salt * 78.233) * 43_758.5453) % 1) + 1) % 1

function shape(i: number): GeofenceShape {
  const center = { lat: ORIGIN.lat + scatter(i, 1) * SIDE, lng: ORIGIN.lng + scatter(i, 2) * SIDE }
  const size = 100 + scatter(i, 3) * 1900
  if (i % 2 === 0) return { type: 'circle', center, radiusMetres: size }
  const points = Array.from({ length: options.points }, (_, k) => {
    const angle = (2 * Math.PI * k) / options.points
    const r = (k % 2 === 0 ? size : size / 3) * METRE
    return {
      lat: center.lat + r * Math.sin(angle),
      lng: center.lng + (r * Math.cos(angle)) / Math.cos((center.lat * Math.PI) / 180),
    }
  })
  return { type: 'polygon', points }
}

interface Round {
  geofences: number
  reportsPerSec: number
  batchP50Ms: number
  batchP95Ms: number
  eventsPerThousandReports: number
}

async function measure(geofences: number): Promise<Round[]> {
  const scratch = await scratchDatabase()
  const database = await openDatabase<Tables>({
    url: scratch.url,
    log: testLogger(),
    migrations,
    poolSize: 2,
  })
  onCleanup('fleet-events database', () => database.close())
  const repository = fleetRepository(database.db)
  const author = { userId: '00000000-0000-4000-8000-000000000001', username: 'bench' }
  for (let i = 0; i < geofences; i++)
    await repository.createGeofence({ name: `Fence ${i}`, shape: shape(i) }, author)
  const fences = fenceCache()
  // Each vehicle starts somewhere in the square and drives north-east at 50 km/h.
  const step = (50 / 3.6) * METRE
  let second = 0
  const start = Date.now() - 86_400_000
  const nextBatch = (): PositionReport[] =>
    Array.from({ length: options.batch }, () => {
      const index = second % options.vehicles
      const tick = Math.floor(second / options.vehicles)
      second++
      return {
        vehicle: `Bench ${index}`,
        lat: ORIGIN.lat + ((scatter(index, 4) * SIDE + tick * step) % SIDE),
        lng: ORIGIN.lng + ((scatter(index, 5) * SIDE + tick * step) % SIDE),
        timestamp: new Date(start + tick * 1000).toISOString(),
      }
    })
  const rounds: Round[] = []
  for (let round = 0; round < options.rounds; round++) {
    await awaitQuietMachine()
    // Warm-up: every vehicle's state stored (its first report), the geofences compiled, the JIT warm.
    for (let b = 0; b < Math.ceil(options.vehicles / options.batch) + 5; b++)
      await repository.evaluate(nextBatch(), fences)
    const durations: number[] = []
    let events = 0
    const began = performance.now()
    for (let b = 0; b < options.batches; b++) {
      const t = performance.now()
      events += (await repository.evaluate(nextBatch(), fences)).events.length
      durations.push(performance.now() - t)
    }
    const seconds = (performance.now() - began) / 1000
    durations.sort((a, b) => a - b)
    const reports = options.batches * options.batch
    rounds.push({
      geofences,
      reportsPerSec: Math.round(reports / seconds),
      batchP50Ms: Math.round(durations[Math.floor(durations.length / 2)]! * 10) / 10,
      batchP95Ms: Math.round(durations[Math.floor(durations.length * 0.95)]! * 10) / 10,
      eventsPerThousandReports: Math.round((events / reports) * 1000 * 10) / 10,
    })
    progress(`${geofences} geofences, round ${round + 1}: ${rounds.at(-1)!.reportsPerSec} reports/s`)
  }
  await database.close()
  await scratch.drop()
  return rounds
}

runBench(async () => {
  const machine = await machineInfo()
  const results: Round[][] = []
  for (const count of options.geofences.split(',').map(Number)) results.push(await measure(count))
  const rows = results.map((rounds) => [
    rounds[0]!.geofences,
    median(rounds.map((r) => r.reportsPerSec)),
    `${median(rounds.map((r) => r.batchP50Ms))} ms`,
    `${median(rounds.map((r) => r.batchP95Ms))} ms`,
    median(rounds.map((r) => r.eventsPerThousandReports)),
  ])
  const table = markdownTable(
    ['geofences', 'reports/s', `batch of ${options.batch}, p50`, 'p95', 'events per 1,000 reports'],
    rows,
  )
  await publish('fleet-events', table, { machine, options, results })
})
