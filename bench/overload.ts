/**
 * Overload: a flood of the most expensive read there is — a vehicle's history from months ago,
 * 10,000 positions a request — from `--concurrency` clients at once through the gateway, while a
 * live-feed client counts what it receives. The stack topology (real PostgreSQL, RabbitMQ, Valkey
 * or Redis), the simulator driving the 38 recorded vehicles.
 *
 *   node bench/overload.ts [--concurrency=2000] [--users=20] [--seconds=20] [--quiet=10]
 *     [--settle=30] [--rows=50000] [--workers=2] [--gateway-env=K=V,...] [--tracker-env=K=V,...]
 *
 * Three windows: quiet (`--quiet` s, the baseline), flood (`--seconds` s) and settle (`--settle`
 * s after the flood). It reports how every flood request ended (status or error) and how long it
 * took; the live feed's frames, vehicle updates and their age (report → map) in each window,
 * beside the tracker's `vehicles.updated` messages; the CPU of every process during the flood; the
 * gateway's and tracker's RSS (quiet mean, flood peak, last) and JavaScript heap in use. The
 * gateway and the tracker run under their Kubernetes memory limits, the flood's processes at the
 * lowest CPU priority (the attack comes from other machines).
 * `--gateway-env=RATE_LIMIT_MAX=1000000000,UPSTREAM_QUEUE=1000000
 * --tracker-env=HISTORY_CONCURRENCY=8,HISTORY_QUEUE=1000` turns the protections off, for comparison.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { vehiclesUpdated, type LiveFrame } from '@convoy/contracts'
import { connectBroker } from '@convoy/platform/messaging'
import { TEST_REDIS_URL, testLogger } from '@convoy/platform/testing'
import { envList, parseArgs, sleep } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { LatencyHistogram } from './lib/histogram.ts'
import {
  awaitQuietMachine,
  round1,
  rssMiB,
  serverGroups,
  startCpuMeter,
  startRssSampler,
} from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { query } from './lib/scratch.ts'
import { metricValue } from './lib/services.ts'
import { benchStack } from './lib/stack.ts'

const options = parseArgs({
  concurrency: 2000,
  users: 20,
  seconds: 20,
  quiet: 10,
  settle: 30,
  rows: 50_000,
  workers: 2,
  'gateway-env': '',
  'tracker-env': '',
  'gateway-node-args': '',
})

const VEHICLE = 'Flood Van'

/**
 * A live-feed client that counts the frames and vehicle updates it receives, beside a consumer
 * counting the tracker's `vehicles.updated` messages (what the gateway has to send on).
 */
async function liveCounter(url: string, token: string, amqpUrl: string) {
  const broker = connectBroker({ url: amqpUrl, log: testLogger() })
  let published = 0
  const consumer = broker.consume({
    queue: 'bench.overload.live',
    temporary: true,
    topics: [vehiclesUpdated],
    handler: async () => void published++,
  })
  onCleanup('broker counter', async () => (await consumer.close(), await broker.close()))
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/live`)
  let frames = 0
  let updates = 0
  /** How old each update is when it arrives: from the simulator's report to the map. */
  let ages = new LatencyHistogram()
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as LiveFrame
    if (frame.type !== 'positions') return
    frames++
    updates += frame.vehicles.length
    for (const vehicle of frame.vehicles) ages.add(Date.now() - Date.parse(vehicle.timestamp))
  })
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'auth', token }))
  onCleanup('live feed', () => socket.close())
  /** Counts over the next `seconds`: frames and updates per second. */
  return async (seconds: number) => {
    const before = { frames, updates, published }
    ages = new LatencyHistogram()
    await sleep(seconds * 1000)
    const age = ages.summary()
    return {
      ageP50Ms: age.p50Ms,
      ageP99Ms: age.p99Ms,
      publishedPerSecond: round1((published - before.published) / seconds),
      framesPerSecond: round1((frames - before.frames) / seconds),
      updatesPerSecond: round1((updates - before.updates) / seconds),
    }
  }
}

/** The flood: `--workers` child processes sharing the request loops. */
function flood(url: string, tokens: string[]) {
  const workers: ChildProcess[] = []
  /** Each worker's latencies by outcome (status or error), as histogram pairs. */
  const reports: Array<Promise<Record<string, Array<[number, number]>>>> = []
  for (let i = 0; i < options.workers; i++) {
    const worker = fork(new URL('./lib/flood-worker.ts', import.meta.url), { stdio: 'inherit' })
    onCleanup('flood worker', () => worker.kill('SIGKILL'))
    workers.push(worker)
    reports.push(once(worker, 'message').then(([report]) => report as Awaited<(typeof reports)[0]>))
    worker.send({
      type: 'start',
      url,
      tokens: tokens.filter((_, t) => t % options.workers === i),
      concurrency: Math.ceil(options.concurrency / options.workers),
    })
  }
  const pids = workers.map((worker) => worker.pid!)
  async function stop() {
    for (const worker of workers) worker.send({ type: 'stop' })
    const all = new LatencyHistogram()
    const byOutcome = new Map<string, LatencyHistogram>()
    for (const report of await Promise.all(reports)) {
      for (const [outcome, pairs] of Object.entries(report)) {
        if (!byOutcome.has(outcome)) byOutcome.set(outcome, new LatencyHistogram())
        byOutcome.get(outcome)!.merge(pairs)
        all.merge(pairs)
      }
    }
    const outcomes = Object.fromEntries([...byOutcome].sort().map(([outcome, h]) => [outcome, h.summary()]))
    return { all: all.summary(), outcomes }
  }
  return { pids, stop }
}

runBench(async () => {
  const stack = await benchStack()
  progress('starting auth, the tracker, the gateway and the simulator')
  const auth = await stack.start('auth')
  // Each under its memory limit in Kubernetes (deploy/k8s/base/*/deployment.yaml), which Node
  // sizes its heap from: on this 24 GiB machine it would otherwise let its heap grow far more.
  const tracker = await stack.start('position-tracker', envList(options['tracker-env']), {
    memoryLimitMiB: 640,
  })
  const gateway = await stack.start(
    'gateway',
    {
      RATE_LIMIT_REDIS_URL: TEST_REDIS_URL,
      RATE_LIMIT_PREFIX: `bench-overload-${process.pid}:`,
      ...envList(options['gateway-env']),
    },
    { memoryLimitMiB: 512, nodeArgs: options['gateway-node-args'].split(' ').filter(Boolean) },
  )
  const simulator = await stack.start('position-simulator', { VEHICLES: '38' })

  progress(`storing ${options.rows} positions of ${VEHICLE}, one a minute back from now`)
  await query(
    stack.database.url,
    `INSERT INTO positions (vehicle_name, time, lat, lng)
       SELECT '${VEHICLE}', now() - i * interval '1 minute', 53.38 + i * 1e-6, -1.47
       FROM generate_series(1, ${options.rows}) AS i
     ON CONFLICT DO NOTHING`,
  )
  await query(
    stack.database.url,
    `INSERT INTO vehicles (name, lat, lng, speed_kmh, heading, time)
       VALUES ('${VEHICLE}', 53.38, -1.47, 0, 0, now()) ON CONFLICT DO NOTHING`,
  )

  progress(`signing in ${options.users} users`)
  const admin = await stack.token()
  const tokens: string[] = []
  for (let i = 0; i < options.users; i++) {
    const username = `flood${i}`
    const password = `flood user pass phrase ${i}`
    await fetch(`${auth.url}/auth/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username, password, role: 'viewer' }),
    })
    const response = await fetch(`${auth.url}/auth/login`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    })
    tokens.push(((await response.json()) as { accessToken: string }).accessToken)
  }

  const count = await liveCounter(gateway.url, admin, stack.vhost.url)
  await sleep(5000) // the vehicles moving, the feed flowing
  const pids = { gateway: gateway.pid, tracker: tracker.pid }
  /** What each holds on its JavaScript heap (live objects and garbage not yet collected), in MiB. */
  const heapMiB = async () => ({
    gateway: round1((await metricValue(gateway.opsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20),
    tracker: round1((await metricValue(tracker.opsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20),
  })

  await awaitQuietMachine(40)
  progress(`quiet window: ${options.quiet} s`)
  let rss = startRssSampler(pids, 250)
  const quiet = await count(options.quiet)
  const quietRss = rss.stop()
  const quietHeap = await heapMiB()

  const from = new Date(Date.now() - 60 * 86_400_000).toISOString()
  const url = `${gateway.url}/api/vehicles/${encodeURIComponent(VEHICLE)}/history?from=${from}&limit=10000`
  progress(`flood: ${options.concurrency} clients of ${options.users} users for ${options.seconds} s`)
  rss = startRssSampler(pids, 250)
  const flooding = flood(url, tokens)
  const cpu = startCpuMeter({
    gateway: () => [gateway.pid],
    tracker: () => [tracker.pid],
    auth: () => [auth.pid],
    simulator: () => [simulator.pid],
    flood: () => flooding.pids,
    bench: () => [process.pid],
    ...serverGroups,
  })
  const overflowsBefore = listenOverflows()
  const during = await count(options.seconds)
  const overflows = listenOverflows() - overflowsBefore
  const floodRss = rss.stop()
  const floodHeap = await heapMiB()
  const floodCpu = cpu.stop()
  const outcome = await flooding.stop()

  progress(`settling: ${options.settle} s`)
  const after = await count(options.settle)
  const settledRss = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssMiB(pid)]))
  const settledHeap = await heapMiB()

  const row = (what: string, h: (typeof outcome)['all']) => [
    what,
    h.samples,
    `${round1((100 * h.samples) / outcome.all.samples)} %`,
    `${h.p50Ms} ms`,
    `${h.p99Ms} ms`,
    `${h.maxMs} ms`,
  ]
  const markdown = [
    markdownTable(
      ['answered', 'requests', 'share', 'p50', 'p99', 'max'],
      [...Object.entries(outcome.outcomes).map(([status, h]) => row(status, h)), row('all', outcome.all)],
    ),
    '',
    `Connections dropped by the kernel (accept queue full) during the flood: ${overflows}.`,
    '',
    markdownTable(
      ['live feed', 'quiet', 'flood', 'flood / quiet', 'after'],
      [
        [
          'tracker messages/s',
          quiet.publishedPerSecond,
          during.publishedPerSecond,
          ratio(during.publishedPerSecond, quiet.publishedPerSecond),
          after.publishedPerSecond,
        ],
        [
          'frames/s',
          quiet.framesPerSecond,
          during.framesPerSecond,
          ratio(during.framesPerSecond, quiet.framesPerSecond),
          after.framesPerSecond,
        ],
        [
          'vehicle updates/s',
          quiet.updatesPerSecond,
          during.updatesPerSecond,
          ratio(during.updatesPerSecond, quiet.updatesPerSecond),
          after.updatesPerSecond,
        ],
        [
          'update age p50 (report → map)',
          `${quiet.ageP50Ms} ms`,
          `${during.ageP50Ms} ms`,
          '',
          `${after.ageP50Ms} ms`,
        ],
        ['update age p99', `${quiet.ageP99Ms} ms`, `${during.ageP99Ms} ms`, '', `${after.ageP99Ms} ms`],
      ],
    ),
    '',
    markdownTable(
      ['CPU in the flood (% of a core)', ...Object.keys(floodCpu.cores), 'others'],
      [['', ...Object.values(floodCpu.cores), floodCpu.othersPercent]],
    ),
    '',
    markdownTable(
      ['MiB', 'quiet', 'flood', `${options.settle} s after`],
      (['gateway', 'tracker'] as const).flatMap((name) => [
        [
          `${name} RSS (mean, peak, last)`,
          quietRss[name]!.meanMiB,
          floodRss[name]!.peakMiB,
          round1(settledRss[name] ?? NaN),
        ],
        [`${name} heap used (at the end)`, quietHeap[name], floodHeap[name], settledHeap[name]],
      ]),
    ),
  ].join('\n')
  await publish('overload', markdown, {
    options,
    machine: await machineInfo(),
    outcome,
    live: { quiet, flood: during, after },
    rss: { quiet: quietRss, flood: floodRss, settled: settledRss },
    heap: { quiet: quietHeap, flood: floodHeap, settled: settledHeap },
    cpu: floodCpu,
    listenOverflows: overflows,
  })
})

/** Connections the kernel dropped since boot because a listening socket's accept queue was full. */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n')
  const header = lines.find((line) => line.startsWith('TcpExt:'))!.split(' ')
  const values = lines.filter((line) => line.startsWith('TcpExt:'))[1]!.split(' ')
  return Number(values[header.indexOf('ListenOverflows')])
}

function ratio(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)} %` : '–'
}
