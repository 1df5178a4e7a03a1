/**
 * Replays: a day of 1 Hz positions of one vehicle stored in PostgreSQL (86,400: the simulator's
 * own driving round a recorded track, without a stop — the most a day can hold and the least a
 * simplification can drop), then `GET /api/vehicles/{name}/route` for the day through the gateway:
 * the time to the answer's last byte (median of `--runs`), the positions before and after
 * simplification, the worst error left, the bytes of the answer (and gzipped, what a compressing
 * proxy would send). The same for the longest range a replay takes, 7 days (604,800 positions),
 * and the day's trips and summary beside it. The tracker runs under its Kubernetes memory limit.
 *
 *   node bench/replay.ts [--runs=5] [--vehicle="City Truck"] [--timeout=60]
 *
 * Every request is bounded (`--timeout` seconds); the positions end an hour ago, so none is in
 * the future and retention (set to 30 days here) deletes none while it runs.
 */
import { gzipSync } from 'node:zlib'
import type { VehicleReplay } from '@convoy/contracts'
import { median, parseArgs } from './lib/args.ts'
import { storeDrive } from './lib/drive.ts'
import { runBench } from './lib/cleanup.ts'
import { awaitQuietMachine, round1, rssMiB, startRssSampler } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { query } from './lib/scratch.ts'
import { benchStack } from './lib/stack.ts'

const options = parseArgs({ runs: 5, vehicle: 'City Truck', timeout: 60 })
const DAY_MS = 86_400_000
runBench(async () => {
  const machine = await machineInfo()
  const stack = await benchStack()
  progress('starting auth, the tracker (640 MiB, as in Kubernetes) and the gateway')
  await stack.start('auth')
  const tracker = await stack.start('position-tracker', { RETENTION_DAYS: '30' }, { memoryLimitMiB: 640 })
  const gateway = await stack.start('gateway')
  const token = await stack.token()

  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000
  progress(`storing 7 days of 1 Hz positions of ${options.vehicle}`)
  const started = performance.now()
  const stored = await storeDrive(stack.database.url, options.vehicle, end - 7 * DAY_MS, end)
  const storeSeconds = round1((performance.now() - started) / 1000)
  await query(stack.database.url, 'VACUUM ANALYZE positions')

  const base = `${gateway.url}/api/vehicles/${encodeURIComponent(options.vehicle)}`
  const range = (days: number) =>
    `from=${new Date(end - days * DAY_MS).toISOString()}&to=${new Date(end - 1000).toISOString()}`

  /** `--runs` timed requests of one URL, one after another, after a warm-up and a quiet machine. */
  async function measure(what: string, path: string) {
    const get = async () => {
      const t0 = performance.now()
      const response = await fetch(`${base}/${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(options.timeout * 1000),
      })
      const body = Buffer.from(await response.arrayBuffer())
      if (response.status !== 200) throw new Error(`${what}: ${response.status} ${body.toString()}`)
      return { ms: performance.now() - t0, body }
    }
    await get() // warm-up: the tracker's code paths compiled, the rows in PostgreSQL's cache
    await awaitQuietMachine()
    progress(`${what}: ${options.runs} runs`)
    const rss = startRssSampler({ tracker: tracker.pid }, 50)
    const runs: number[] = []
    let body = Buffer.alloc(0)
    for (let i = 0; i < options.runs; i++) {
      const run = await get()
      runs.push(run.ms)
      body = run.body
    }
    return {
      what,
      path,
      medianMs: Math.round(median(runs)),
      runsMs: runs.map(Math.round),
      bytes: body.length,
      gzipBytes: gzipSync(body).length,
      trackerPeakRssMiB: rss.stop().tracker!.peakMiB,
      body,
    }
  }

  const idleRss = round1(rssMiB(tracker.pid) ?? NaN)
  const results = [
    await measure('route, a day', `route?${range(1)}`),
    await measure('route, 7 days', `route?${range(7)}`),
    await measure('route, a day, as GPX', `route?${range(1)}&format=gpx`),
    await measure('trips, a day', `trips?${range(1)}`),
    await measure('summary, a day', `summary?date=${new Date(end - DAY_MS).toISOString().slice(0, 10)}`),
  ]
  const reductionOf = (body: Buffer) => (JSON.parse(body.toString()) as VehicleReplay).reduction
  const kib = (bytes: number) => `${round1(bytes / 1024)} KiB`
  const markdown = [
    `${stored.toLocaleString('en')} positions of ${options.vehicle} stored in ${storeSeconds} s; tracker RSS idle ${idleRss} MiB.`,
    '',
    markdownTable(
      ['read', 'median', 'runs', 'positions', 'kept', 'worst error', 'answer', 'gzip', 'tracker RSS peak'],
      results.map((r) => {
        const reduction =
          r.what.startsWith('route') && !r.path.includes('gpx') ? reductionOf(r.body) : undefined
        return [
          r.what,
          `${r.medianMs} ms`,
          r.runsMs.join(', '),
          reduction?.originalPositions.toLocaleString('en') ?? '',
          reduction?.keptPositions.toLocaleString('en') ?? '',
          reduction ? `${reduction.maxErrorMetres} m` : '',
          kib(r.bytes),
          kib(r.gzipBytes),
          `${r.trackerPeakRssMiB} MiB`,
        ]
      }),
    ),
  ].join('\n')
  await publish('replay', markdown, {
    options,
    machine,
    stored,
    storeSeconds,
    trackerIdleRssMiB: idleRss,
    results: results.map(({ body, ...r }) => ({
      ...r,
      reduction: r.path.startsWith('route') && !r.path.includes('gpx') ? reductionOf(body) : undefined,
    })),
  })
})
