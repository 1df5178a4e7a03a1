/**
 * How long `npm start` takes to show moving vehicles, and what it writes: the embedded launcher
 * started on an empty data folder on a machine that never ran Convoy (no PGlite template yet),
 * again on an empty folder with the template there, then restarted on that folder. For each: the
 * time to "Convoy is running" and until the tracker has stored a report of every one of the 38
 * vehicles (they move on the map), median of `--rounds`; and the data folder's size.
 *
 *   node bench/first-start.ts [--rounds=3] [--root=<another checkout, for a baseline>]
 *
 * (The web app's build, which `npm start` runs first, is not counted: it is skipped when nothing
 * changed, and takes about a second when something did.)
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { eventually, freePorts, metricValue } from '@convoy/platform/testing'
import { median, parseArgs } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { awaitQuietMachine, round1 } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { ROOT } from './lib/services.ts'

const options = parseArgs({ rounds: 3, root: ROOT })
const VEHICLES = 38
/** The CLI of `npm start`; a baseline checkout from before apps/convoy has it in packages/launcher. */
const CLI =
  ['apps/convoy/src/cli.ts', 'packages/launcher/src/cli.ts'].find((file) =>
    existsSync(path.join(options.root, file)),
  ) ?? 'apps/convoy/src/cli.ts'

/** One start of the embedded launcher: seconds to "running" and to every vehicle stored. */
async function start(dataDir: string, cacheDir: string) {
  const [port] = await freePorts(1)
  const began = performance.now()
  const child = spawn(process.execPath, [CLI, 'embedded'], {
    cwd: options.root,
    // Its own temporary folder: "a machine that never ran Convoy" holds no PGlite template.
    env: {
      ...process.env,
      CONVOY_DATA_DIR: dataDir,
      PORT: String(port),
      TMPDIR: cacheDir,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onCleanup('launcher', () => child.kill('SIGKILL'))
  let output = ''
  child.stdout.setEncoding('utf8')
  const running = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (text: string) => {
      output += text
      if (output.includes('Convoy is running')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`the launcher exited (${code}):\n${output}`)))
  })
  await running
  const runningS = (performance.now() - began) / 1000
  const trackerOps = /position-tracker\s+(http:\S+)/.exec(output)?.[1]
  if (!trackerOps) throw new Error(`no tracker address in:\n${output}`)
  await eventually(
    async () => (await metricValue(trackerOps, 'positions_stored_total')) >= VEHICLES,
    'every vehicle stored',
    60_000,
  )
  const movingS = (performance.now() - began) / 1000
  child.kill('SIGINT')
  await once(child, 'exit')
  return { runningS: round1(runningS), movingS: round1(movingS) }
}

const mib = (dir: string) => Number(execFileSync('du', ['-sm', dir]).toString().split('\t')[0])

runBench(async () => {
  const results: Record<'cold' | 'warm' | 'restart', Array<{ runningS: number; movingS: number }>> = {
    cold: [],
    warm: [],
    restart: [],
  }
  let dataMiB = 0
  for (let round = 1; round <= options.rounds; round++) {
    const scratch = await mkdtemp(path.join(tmpdir(), 'convoy-bench-start-'))
    onCleanup('scratch folder', () => rm(scratch, { recursive: true, force: true }))
    const cache = path.join(scratch, 'tmp')
    await mkdir(cache)
    await awaitQuietMachine()
    progress(`round ${round}: a first start on a machine that never ran Convoy`)
    results.cold.push(await start(path.join(scratch, 'cold'), cache))
    await awaitQuietMachine()
    progress(`round ${round}: a first start with the template there`)
    results.warm.push(await start(path.join(scratch, 'warm'), cache))
    dataMiB = mib(path.join(scratch, 'warm'))
    await awaitQuietMachine()
    progress(`round ${round}: a restart`)
    results.restart.push(await start(path.join(scratch, 'warm'), cache))
    await rm(scratch, { recursive: true, force: true })
  }
  const row = (what: string, runs: Array<{ runningS: number; movingS: number }>) => [
    what,
    `${round1(median(runs.map((run) => run.runningS)))} s`,
    `${round1(median(runs.map((run) => run.movingS)))} s`,
    runs.map((run) => run.movingS).join(' / '),
  ]
  const markdown = [
    markdownTable(
      ['start', '"Convoy is running" (median)', `all ${VEHICLES} vehicles stored (median)`, 'each round'],
      [
        row('first start, no template on the machine', results.cold),
        row('first start, template there', results.warm),
        row('restart', results.restart),
      ],
    ),
    '',
    `Data folder after a first start: ${dataMiB} MiB.`,
  ].join('\n')
  await publish('first-start', markdown, { options, machine: await machineInfo(), results, dataMiB })
})
