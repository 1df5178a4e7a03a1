/**
 * `GET /api/vehicles/{name}` through the gateway, against the same route proxied by nginx
 * (keep-alive upstream) and the tracker itself (the ceiling: every proxy adds to it), with wrk.
 * Every request carries an access token (verified by the gateway, then by the tracker). With
 * `--baseline=<dir>`, a checkout of Convoy from before auth (its own `npm ci` done) also runs its
 * tracker and gateway on the same database, measured in the same rounds: auth on vs off. With
 * `--tracing=0.1,1`, a tracker and a gateway traced with OpenTelemetry at each sampling share
 * (lib/tracing.ts) are measured in the same rounds too: the cost of tracing.
 *
 *   node bench/gateway-proxy.ts [--seconds=15] [--warmup=3] [--connections=64] [--threads=2]
 *     [--rounds=3] [--nginx-workers=1] [--baseline=/tmp/convoy-before-auth] [--tracing=0.1,1]
 *
 * Targets are measured in turn, round after round, each after a short warm-up and once the
 * shared machine is idle (a run disturbed by other processes, more than --max-others=20 % of a
 * core, is measured again, up to --attempts=3 times); figures are medians over the rounds.
 * nginx runs one worker by default, as the gateway is one Node process (one event loop).
 */
import { positionReported } from '@convoy/contracts'
import { connectBroker } from '@convoy/platform/messaging'
import { eventually, freePorts, testLogger } from '@convoy/platform/testing'
import { median, parseArgs } from './lib/args.ts'
import { runBench } from './lib/cleanup.ts'
import { startNginx } from './lib/nginx.ts'
import { awaitQuietMachine, pidsByComm, startCpuMeter, withChildren } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { startService, type RunningService } from './lib/services.ts'
import { benchStack } from './lib/stack.ts'
import { tracedProcess, tracingLabel, tracingList } from './lib/tracing.ts'
import { wrk, type WrkResult } from './lib/wrk.ts'

const options = parseArgs({
  seconds: 15,
  warmup: 3,
  connections: 64,
  threads: 2,
  rounds: 3,
  'nginx-workers': 1,
  'max-others': 20,
  attempts: 3,
  baseline: '',
  /** Shares of traces sampled, each a traced tracker and gateway of its own (none by default). */
  tracing: '',
})
const VEHICLE = 'City Truck'
/**
 * wrk is one client on one address: each gateway measured lets it through, as it would let a
 * whole fleet of clients (its per-client limit, 300 requests in 10 s, would answer it 429 instead).
 */
const ONE_CLIENT = { RATE_LIMIT_MAX: String(1e9) }
const PATH = `/vehicles/${encodeURIComponent(VEHICLE)}`

/** Stores a vehicle through the normal path (a report on the broker) and waits until it is served. */
async function storeVehicle(amqpUrl: string, trackerUrl: string, headers: Record<string, string>) {
  const broker = connectBroker({ url: amqpUrl, log: testLogger() })
  const now = Date.now()
  for (const [i, offset] of [2000, 1000].entries()) {
    await broker.publish(positionReported, {
      vehicle: VEHICLE,
      lat: 53.38 + i * 1e-4,
      lng: -1.47,
      timestamp: new Date(now - offset).toISOString(),
    })
  }
  await broker.close()
  await eventually(
    async () => (await fetch(`${trackerUrl}${PATH}`, { headers })).ok,
    'vehicle stored',
    15_000,
  )
}

runBench(async () => {
  const machine = await machineInfo()
  const stack = await benchStack()
  await stack.start('auth')
  const tracker = await stack.start('position-tracker')
  const gateway = await stack.start('gateway', ONE_CLIENT)
  const headers = { authorization: `Bearer ${await stack.token()}` }
  const [nginxPort, baselineTrackerPort, baselineGatewayPort, ...opsPorts] = await freePorts(5)
  const baseline = options.baseline
    ? await (async () => {
        const common = { amqpUrl: stack.vhost.url, root: options.baseline }
        const trackerUrl = `http://127.0.0.1:${baselineTrackerPort}`
        const baselineTracker = await startService('position-tracker', {
          ...common,
          port: baselineTrackerPort!,
          opsPort: opsPorts[0]!,
          databaseUrl: stack.database.url,
        })
        const baselineGateway = await startService('gateway', {
          ...common,
          port: baselineGatewayPort!,
          opsPort: opsPorts[1]!,
          trackerUrl,
          webUrl: `http://127.0.0.1:${stack.ports.web}`,
          env: ONE_CLIENT,
        })
        return { tracker: baselineTracker, gateway: baselineGateway }
      })()
    : undefined
  // Each sampling share: a tracker and a gateway traced at it, on the same database and auth.
  const traced: Array<{ label: string; tracker: RunningService; gateway: RunningService }> = []
  for (const tracing of options.tracing ? tracingList(options.tracing) : []) {
    const { nodeArgs, env } = await tracedProcess(tracing)
    const [trackerPort, gatewayPort, trackerOps, gatewayOps] = await freePorts(4)
    const common = {
      amqpUrl: stack.vhost.url,
      authUrl: `http://127.0.0.1:${stack.ports.auth}`,
      nodeArgs,
      env,
    }
    const tracedTracker = await startService('position-tracker', {
      ...common,
      port: trackerPort!,
      opsPort: trackerOps!,
      databaseUrl: stack.database.url,
    })
    const tracedGateway = await startService('gateway', {
      ...common,
      port: gatewayPort!,
      opsPort: gatewayOps!,
      env: { ...env, ...ONE_CLIENT },
      trackerUrl: tracedTracker.url,
      webUrl: `http://127.0.0.1:${stack.ports.web}`,
    })
    traced.push({ label: tracingLabel(tracing), tracker: tracedTracker, gateway: tracedGateway })
  }
  const nginx = await startNginx({
    port: nginxPort!,
    upstreamPort: stack.ports['position-tracker'],
    workers: options['nginx-workers'],
  })
  await storeVehicle(stack.vhost.url, tracker.url, headers)

  const targets = [
    { name: 'tracker (direct)', url: `${tracker.url}${PATH}` },
    { name: 'gateway', url: `${gateway.url}/api${PATH}` },
    { name: 'nginx', url: `${nginx.url}/api${PATH}` },
    ...traced.map(({ label, gateway }) => ({ name: `gateway, ${label}`, url: `${gateway.url}/api${PATH}` })),
    ...(baseline
      ? [
          { name: 'tracker, auth off (baseline)', url: `${baseline.tracker.url}${PATH}` },
          { name: 'gateway, auth off (baseline)', url: `${baseline.gateway.url}/api${PATH}` },
        ]
      : []),
  ]
  const expected = await (await fetch(targets[0]!.url, { headers })).json()
  for (const target of targets) {
    const response = await fetch(target.url, { headers })
    const body: unknown = await response.json()
    if (!response.ok || JSON.stringify(body) !== JSON.stringify(expected))
      throw new Error(`${target.name} answered ${response.status} ${JSON.stringify(body)}`)
  }

  let wrkPid = 0
  const groups = {
    tracker: () => [
      tracker.pid,
      ...traced.map((t) => t.tracker.pid),
      ...(baseline ? [baseline.tracker.pid] : []),
    ],
    gateway: () => [
      gateway.pid,
      ...traced.map((t) => t.gateway.pid),
      ...(baseline ? [baseline.gateway.pid] : []),
    ],
    nginx: () => withChildren(nginx.pid),
    wrk: () => (wrkPid ? [wrkPid] : []),
    postgresql: () => pidsByComm('postgres'),
  }
  type Run = WrkResult & {
    target: string
    round: number
    cpu: Record<string, number>
    machineBusyPercent: number
    othersPercent: number
    others: string[]
  }
  const runs: Run[] = []
  async function measure(target: (typeof targets)[number], round: number): Promise<Run> {
    const busy = await awaitQuietMachine()
    if (busy > 20) progress(`machine still ${busy}% busy with other work; measuring anyway`)
    progress(`round ${round}: ${target.name}`)
    await wrk(target.url, { ...options, headers, seconds: options.warmup })
    // CPU is measured inside the run (wrk's own figure is gone once it exits).
    let usage: ReturnType<ReturnType<typeof startCpuMeter>['stop']> | undefined
    const result = await wrk(target.url, { ...options, headers }, (pid) => {
      wrkPid = pid
      setTimeout(() => {
        const cpu = startCpuMeter(groups)
        setTimeout(() => (usage = cpu.stop()), (options.seconds - 1) * 1000)
      }, 500)
    })
    const { cores, machineBusyPercent, othersPercent, others } = usage!
    return { target: target.name, round, ...result, cpu: cores, machineBusyPercent, othersPercent, others }
  }

  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      // Measured again (up to --attempts times) when other processes disturbed the window.
      for (let attempt = 1; ; attempt++) {
        const run = await measure(target, round)
        if (run.othersPercent <= options['max-others'] || attempt >= options.attempts) {
          runs.push(run)
          break
        }
        progress(`other processes used ${run.othersPercent}% of a core: measuring again`)
      }
    }
  }

  const summary = targets.map((target) => {
    const mine = runs.filter((r) => r.target === target.name)
    return {
      target: target.name,
      requestsPerSec: Math.round(median(mine.map((r) => r.requestsPerSec))),
      p50Ms: median(mine.map((r) => r.p50Ms)),
      p99Ms: median(mine.map((r) => r.p99Ms)),
      errors: mine.reduce((sum, r) => sum + r.errors, 0),
    }
  })
  const rps = (name: string) => summary.find((s) => s.target === name)!.requestsPerSec
  const gatewayPercentOfNginx = Math.round((100 * rps('gateway')) / rps('nginx'))
  // The same ratio within each round (neighbours' load shifts between rounds more than within one).
  const roundRatio = (round: number) =>
    Math.round(
      (100 * runs.find((r) => r.round === round && r.target === 'gateway')!.requestsPerSec) /
        runs.find((r) => r.round === round && r.target === 'nginx')!.requestsPerSec,
    )
  const perRound = Array.from({ length: options.rounds }, (_, i) => roundRatio(i + 1))
  const verdict = {
    gatewayPercentOfNginx,
    gatewayPercentOfNginxPerRound: perRound,
    gatewayPercentOfTracker: Math.round((100 * rps('gateway')) / rps('tracker (direct)')),
    nginxPercentOfTracker: Math.round((100 * rps('nginx')) / rps('tracker (direct)')),
    target: 'gateway ≥ 50% of nginx',
    met: gatewayPercentOfNginx >= 50,
    // A target answering errors (429, 502…) is fast for the wrong reason: its figure means nothing.
    errors: summary.filter((s) => s.errors > 0).map((s) => `${s.target}: ${s.errors}`),
    tracedPercentOfUntraced: Object.fromEntries(
      traced.map(({ label }) => [label, Math.round((100 * rps(`gateway, ${label}`)) / rps('gateway'))]),
    ),
    ...(baseline && {
      authOnPercentOfOff: Math.round((100 * rps('gateway')) / rps('gateway, auth off (baseline)')),
      authTarget: 'gateway with auth ≥ 85% of the gateway without',
    }),
  }
  const cpu = (r: Run, key: string) => `${r.cpu[key] ?? 0}%`
  const table = markdownTable(
    ['target', 'requests/s (median)', 'p50', 'p99', 'errors'],
    summary.map((s) => [s.target, s.requestsPerSec, `${s.p50Ms} ms`, `${s.p99Ms} ms`, s.errors]),
  )
  const perRun = markdownTable(
    [
      'round',
      'target',
      'requests/s',
      'p99',
      'CPU tracker',
      'CPU gateway',
      'CPU nginx',
      'CPU wrk',
      'CPU PostgreSQL',
      'CPU others',
      'machine busy',
    ],
    runs.map((r) => [
      r.round,
      r.target,
      r.requestsPerSec,
      `${r.p99Ms} ms`,
      cpu(r, 'tracker'),
      cpu(r, 'gateway'),
      cpu(r, 'nginx'),
      cpu(r, 'wrk'),
      cpu(r, 'postgresql'),
      `${r.othersPercent}%`,
      `${r.machineBusyPercent}%`,
    ]),
  )
  const met = verdict.met ? 'met' : 'NOT met'
  const rounds = `${perRound.join('%, ')}%`
  const authLine = verdict.authOnPercentOfOff
    ? `\ngateway with auth = ${verdict.authOnPercentOfOff}% of the gateway without (target ≥ 85%: ${verdict.authOnPercentOfOff >= 85 ? 'met' : 'NOT met'})`
    : ''
  const tracingLines = Object.entries(verdict.tracedPercentOfUntraced)
    .map(([label, percent]) => `\ngateway with ${label} = ${percent}% of the gateway untraced`)
    .join('')
  const errorLine = verdict.errors.length ? `ERRORS, figures void: ${verdict.errors.join(', ')}\n` : ''
  const line = `${errorLine}gateway = ${gatewayPercentOfNginx}% of nginx (per round: ${rounds}; target ≥ 50%: ${met})${authLine}${tracingLines}`
  await publish('gateway-proxy', `${table}\n\n${perRun}\n\n${line}`, {
    benchmark: 'gateway-proxy',
    machine,
    options,
    verdict,
    summary,
    runs,
  })
})
