/**
 * A day's replay in the browser: a day of 1 Hz positions of one vehicle stored in PostgreSQL
 * (86,400, the simulator's own driving round its track), then in headless Chromium the vehicle's
 * History for that day (a custom range): the time from pressing Show to the route drawn (its
 * answer parsed and drawn, the status saying how many positions) and painted (two animation frames
 * later), to the last of the three answers (route, trips, stops) in, and to the trips and stops
 * shown. Median of `--runs`, each after Last hour and a quiet machine.
 *
 *   node bench/web-replay.ts [--runs=5] [--vehicle="City Truck"]
 *
 * Runs auth, the tracker, the gateway and web of the stack topology on scratch databases (fleet-
 * events too, for the fleet page's geofences). Every wait is bounded.
 */
import { execFileSync } from 'node:child_process'
import { launchBrowser, ADMIN, until } from '../apps/convoy/test/web/chromium.ts'
import { median, parseArgs } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { storeDrive } from './lib/drive.ts'
import { awaitQuietMachine, round1 } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { ROOT } from './lib/services.ts'
import { benchStack } from './lib/stack.ts'

const options = parseArgs({ runs: 5, vehicle: 'City Truck' })
const DAY_MS = 86_400_000
const STEP_TIMEOUT_MS = 60_000

/**
 * Notes when Show is pressed, then — once the status has said "Loading…" — when it says the route
 * is drawn, and two animation frames later (painted).
 */
const OBSERVER = `
  window.__replay = {}
  document.addEventListener('click', (event) => {
    if (event.target.closest('.history-custom button[type="submit"]')) {
      performance.clearResourceTimings()
      window.__replay = { pressed: performance.now() }
    }
  }, true)
  new MutationObserver(() => {
    const text = document.querySelector('.history-status')?.textContent ?? ''
    const mark = window.__replay
    if (mark.pressed === undefined) return
    if (mark.drawn === undefined) {
      if (text === 'Loading…') mark.loading = true
      else if (mark.loading && /positions drawn/.test(text)) {
        mark.drawn = performance.now()
        requestAnimationFrame(() => requestAnimationFrame(() => (mark.painted = performance.now())))
      }
    }
    if (mark.drawn !== undefined && mark.tables === undefined && document.querySelector('.history-tabs')) {
      mark.tables = performance.now()
    }
  }).observe(document, { subtree: true, childList: true, characterData: true })
`

runBench(async () => {
  const machine = await machineInfo()
  progress('building the web app')
  execFileSync('npm', ['run', 'build', '-w', '@convoy/web', '--silent', '--', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  })
  const stack = await benchStack()
  progress('starting auth, the tracker, fleet-events, web and the gateway')
  await stack.start('auth')
  await stack.start('position-tracker', { RETENTION_DAYS: '30' })
  await stack.start('fleet-events')
  await stack.start('web')
  const gateway = await stack.start('gateway')
  // A whole UTC day, ending at least an hour ago.
  const end = Math.floor((Date.now() - 3_600_000) / DAY_MS) * DAY_MS
  const from = end - DAY_MS
  progress(`storing a day of 1 Hz positions of ${options.vehicle}`)
  const stored = await storeDrive(stack.database.url, options.vehicle, from, end)

  const browser = await launchBrowser()
  onCleanup('browser', () => browser.close())
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' })
  await context.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'))
  await context.addInitScript(OBSERVER)
  const page = await context.newPage()
  await page.goto(gateway.url, { timeout: STEP_TIMEOUT_MS })
  const form = page.locator('#login-form')
  await form.getByLabel('Username').fill(ADMIN.username)
  await form.getByLabel('Password').fill(ADMIN.password)
  await form.getByLabel('Password').press('Enter')
  await page.locator(`.vehicle[data-name="${options.vehicle}"] button`).click({ timeout: STEP_TIMEOUT_MS })
  await page.getByRole('button', { name: 'History' }).click()
  const panel = page.getByRole('region', { name: `History of ${options.vehicle}` })

  /** One draw of the day: Last hour, then Custom and Show (so the day is asked for anew). */
  async function drawDay(): Promise<{
    routePhases: Record<string, number>
    routeMs: number
    answersMs: number
    drawnMs: number
    paintedMs: number
    tablesMs: number
    status: string
  }> {
    await panel.getByRole('button', { name: 'Last hour' }).click()
    await panel.getByRole('button', { name: 'Custom' }).click()
    // Custom shows its last range at once: wait for it, so Show is a load of its own.
    await until(
      'the last custom range is shown',
      async () => (await panel.locator('.history-status').innerText()) !== 'Loading…',
      STEP_TIMEOUT_MS,
    )
    await panel.getByRole('textbox', { name: 'From' }).fill(new Date(from).toISOString().slice(0, 16))
    await panel.getByRole('textbox', { name: 'To' }).fill(new Date(end - 1000).toISOString().slice(0, 16))
    await awaitQuietMachine()
    await panel.getByRole('button', { name: 'Show' }).click()
    await until(
      'the day is drawn',
      () =>
        page.evaluate<boolean>(
          'window.__replay.painted !== undefined && window.__replay.tables !== undefined',
        ),
      STEP_TIMEOUT_MS,
    )
    const mark = await page.evaluate<{ pressed: number; drawn: number; painted: number; tables: number }>(
      'window.__replay',
    )
    // When the last of the three answers (route, trips, stops) was in: the rest is the page's.
    const answerEnd = (paths: string) =>
      page.evaluate<number>(
        `Math.max(...performance.getEntriesByType('resource')
          .filter((entry) => /\\/(${paths})\\?/.test(entry.name))
          .map((entry) => entry.responseEnd))`,
      )
    // Where the route's time went: asked (after the click's render), first byte, last byte.
    const routePhases = await page.evaluate<Record<string, number>>(
      `(() => {
        const entry = performance.getEntriesByType('resource').find((each) => /\\/route\\?/.test(each.name))
        const at = (time) => Math.round((time - ${mark.pressed}) * 10) / 10
        return { asked: at(entry.startTime), firstByte: at(entry.responseStart), lastByte: at(entry.responseEnd), bytes: entry.encodedBodySize }
      })()`,
    )
    return {
      routePhases,
      routeMs: round1((await answerEnd('route')) - mark.pressed),
      answersMs: round1((await answerEnd('route|trips|stops')) - mark.pressed),
      drawnMs: round1(mark.drawn - mark.pressed),
      paintedMs: round1(mark.painted - mark.pressed),
      tablesMs: round1(mark.tables - mark.pressed),
      status: await panel.locator('.history-status').innerText(),
    }
  }

  progress('a warm-up draw')
  const warmUp = await drawDay()
  const runs = []
  for (let run = 1; run <= options.runs; run++) {
    progress(`draw ${run} of ${options.runs}`)
    runs.push(await drawDay())
  }
  const stat = (values: number[]) =>
    `**${round1(median(values))} ms** (${Math.min(...values)}–${Math.max(...values)})`
  const markdown = [
    `${stored.toLocaleString('en')} positions of ${options.vehicle} over a day; the page said: “${runs[0]!.status}”`,
    '',
    markdownTable(
      [`a day's history in Chromium (median of ${runs.length}, range)`, 'time'],
      [
        ['Show pressed → the answer of the route in', stat(runs.map((run) => run.routeMs))],
        [
          'Show pressed → the route drawn (its answer parsed, the status written)',
          stat(runs.map((run) => run.drawnMs)),
        ],
        [
          'Show pressed → the route painted (two animation frames later)',
          stat(runs.map((run) => run.paintedMs)),
        ],
        [
          'Show pressed → the last of the three answers in (route, trips, stops)',
          stat(runs.map((run) => run.answersMs)),
        ],
        ['Show pressed → the trips and stops shown', stat(runs.map((run) => run.tablesMs))],
      ],
    ),
  ].join('\n')
  await publish('web-replay', markdown, { options, machine, stored, warmUp, runs })
})
