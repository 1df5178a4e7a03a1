/**
 * How smooth the fleet page stays as the fleet grows: frame times in headless Chromium while the
 * embedded system drives 38 vehicles, then 38 + `SYNTHETIC_VEHICLES` (5,000 by default), in four
 * situations — the whole fleet in view, zoomed into Sheffield, panning the map with scripted
 * drags, and scrolling the list.
 *
 *   node bench/web-frames.ts [--synthetic=0,5000] [--seconds=20] [--interval=1000] [--timeout=180]
 *
 * For each fleet size: a fresh embedded system (a temporary data folder; `--interval` is its
 * `REPORT_INTERVAL_MS`), a fresh browser context at 1280×800 with map tiles refused (the offline
 * map, as in the browser tests), sign in, wait until the header counts every vehicle and each has
 * been heard of live, then for each situation record `--seconds` in the page: every
 * requestAnimationFrame delta, and the long tasks (PerformanceObserver, > 50 ms). Reported: median,
 * p95 and max frame time, frames over 50 ms ("dropped"), the long tasks' total, the JS heap in use
 * (DevTools' `Runtime.getHeapUsage`) and the DOM's size at the end, the vehicle updates the page
 * received per second (counted in the live feed's frames), and the CPU of the system (this
 * process) and of Chromium. Every wait is bounded (`--timeout` s for the fleet to be listed, 30 s a
 * step). Builds the app first, so the figures are those of the code checked out.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbedded } from '@convoy/system'
import { TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser, Page } from 'playwright-core'
import { ADMIN, launchBrowser, until } from '../apps/convoy/test/web/chromium.ts'
import { parseArgs, sleep } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { cpuSeconds, round1, startCpuMeter } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { buildWebApp, metricValue } from './lib/services.ts'

const options = parseArgs({ synthetic: '0,5000', seconds: 20, interval: 1000, timeout: 180 })
const RECORDED = 38
const DESKTOP = { width: 1280, height: 800 }
/** How long one step (a page load, a zoom, a click) may take. */
const STEP_TIMEOUT_MS = 30_000
/** Sheffield's centre, where most tracks are: the zoomed-in situation and the panning. */
const SHEFFIELD = { lat: 53.381, lng: -1.47 }
const ZOOMED_IN = 15
const PANNING_ZOOM = 12

/**
 * The recorder, run in the page: rAF deltas and long tasks until `window.__frames.stop()`. It
 * does nothing else, so what it costs is a callback per frame.
 */
const RECORDER = `(() => {
  const deltas = []
  const longTasks = []
  let last = 0
  let running = true
  const tick = (time) => {
    if (last > 0) deltas.push(time - last)
    last = time
    if (running) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration)
  })
  observer.observe({ type: 'longtask' })
  window.__frames = {
    stop() {
      running = false
      observer.disconnect()
      return { deltas, longTasks, nodes: document.getElementsByTagName('*').length,
        rows: document.querySelectorAll('.vehicle').length }
    },
  }
})()`

interface Recording {
  deltas: number[]
  longTasks: number[]
  nodes: number
  rows: number
}

type Situation = 'whole fleet' | 'zoomed in' | 'panning' | 'scrolling the list'

interface Figures {
  situation: Situation
  frames: number
  medianMs: number
  p95Ms: number
  maxMs: number
  /** Frames that took more than 50 ms. */
  dropped: number
  longTasks: number
  longTaskTotalMs: number
  heapMiB: number
  domNodes: number
  listRows: number
  /** Vehicle updates the page received per second (in the live feed's frames). */
  updatesPerSecond: number
  /** Reports the simulator published, skipped (the broker behind) and the tracker stored, per second. */
  publishedPerSecond: number
  skippedPerSecond: number
  storedPerSecond: number
  cpuSystemPercent: number
  cpuChromiumPercent: number
  /** What other processes used meanwhile (the machine is shared), in % of one core. */
  cpuOthersPercent: number
  zoom: number
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** Every process below `root` (Chromium's browser, renderer, GPU and utility processes). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = []
  const walk = (pid: number) => {
    for (const [child, parent] of parents)
      if (parent === pid) {
        found.push(child)
        walk(child)
      }
  }
  walk(root)
  return found
}

/** The page's vehicle updates, counted in the live feed's frames as Chromium receives them. */
function countUpdates(page: Page) {
  let updates = 0
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8')
      if (text.startsWith('{"type":"positions"')) updates += text.split('"name":').length - 1
    }),
  )
  return () => updates
}

interface MapView {
  south: number
  west: number
  north: number
  east: number
  zoom: number
}
const mapView = (page: Page) => page.evaluate<MapView>('window.convoy.view()')
const mapSettled = (page: Page) =>
  page.locator('#map:not([data-moving])').waitFor({ timeout: STEP_TIMEOUT_MS })

/** Where `point` is on the map, in pixels from its corner (Web Mercator, as Leaflet draws). */
function pixelOf(
  view: MapView,
  size: { width: number; height: number },
  point: { lat: number; lng: number },
) {
  const y = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))
  return {
    x: ((point.lng - view.west) / (view.east - view.west)) * size.width,
    y: ((y(view.north) - y(point.lat)) / (y(view.north) - y(view.south))) * size.height,
  }
}

/** Zooms with the mouse wheel over `point` until the map reaches `zoom` (either way). */
async function zoomAround(page: Page, point: { lat: number; lng: number }, zoom: number): Promise<void> {
  const box = (await page.locator('#map').boundingBox())!
  const deadline = Date.now() + STEP_TIMEOUT_MS
  for (;;) {
    await mapSettled(page)
    const view = await mapView(page)
    if (view.zoom === zoom) return
    if (Date.now() > deadline) throw new Error(`the map did not reach zoom ${zoom} (at ${view.zoom})`)
    const at = pixelOf(view, box, point)
    await page.mouse.move(box.x + at.x, box.y + at.y)
    // About one zoom level per wheel event (Leaflet: 60 px a level).
    await page.mouse.wheel(0, view.zoom < zoom ? -60 : 60)
    await until(
      'the wheel zoom starts',
      async () => (await mapView(page)).zoom !== view.zoom,
      STEP_TIMEOUT_MS,
    )
  }
}

/** Fit the fleet: the whole fleet in view. */
async function wholeFleet(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Fit the fleet' }).click()
  await page
    .locator('#map[data-moving]')
    .waitFor({ timeout: STEP_TIMEOUT_MS })
    .catch(() => {})
  await mapSettled(page)
}

/** Drags the map back and forth, as a hand would (60 moves a second), until `until`. */
async function pan(page: Page, endAt: number): Promise<void> {
  const box = (await page.locator('#map').boundingBox())!
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2]
  let direction = 1
  while (Date.now() < endAt) {
    await page.mouse.move(cx - direction * 200, cy - direction * 100)
    await page.mouse.down()
    for (let step = 1; step <= 60 && Date.now() < endAt; step++) {
      await page.mouse.move(
        cx - direction * 200 + direction * step * (400 / 60),
        cy - direction * 100 + direction * step * (200 / 60),
      )
      await sleep(16)
    }
    await page.mouse.up()
    direction = -direction
  }
}

/** Scrolls the list down and up, a wheel notch (100 px) every 50 ms, until `until`. */
async function scrollList(page: Page, endAt: number): Promise<void> {
  const box = (await page.locator('#vehicle-list').boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  let direction = 1
  let notches = 0
  while (Date.now() < endAt) {
    await page.mouse.wheel(0, direction * 100)
    await sleep(50)
    // Down then up, 100 notches each way (10,000 px: about 170 rows).
    if (++notches % 100 === 0) direction = -direction
  }
}

/** The system's counters of reports: published and skipped by the simulator, stored by the tracker. */
type Counters = () => Promise<{ published: number; skipped: number; stored: number }>

function systemCounters(ops: Record<string, string>): Counters {
  return async () => ({
    published: await metricValue(ops['position-simulator']!, 'simulator_reports_published_total'),
    skipped: await metricValue(ops['position-simulator']!, 'simulator_reports_skipped_total'),
    stored: await metricValue(ops['position-tracker']!, 'positions_stored_total'),
  })
}

async function record(
  page: Page,
  situation: Situation,
  updates: () => number,
  counters: Counters,
  act: (endAt: number) => Promise<void>,
): Promise<Figures> {
  await awaitOthersQuiet()
  const cdp = await page.context().newCDPSession(page)
  const meter = startCpuMeter(ours)
  const before = {
    updates: updates(),
    system: cpuSeconds(process.pid),
    chromium: chromiumSeconds(),
    ...(await counters()),
  }
  const started = Date.now()
  await page.evaluate(RECORDER)
  const endAt = started + options.seconds * 1000
  await act(endAt)
  if (Date.now() < endAt) await sleep(endAt - Date.now())
  const recording = await page.evaluate<Recording>('window.__frames.stop()')
  const elapsed = (Date.now() - started) / 1000
  const after = await counters()
  const rate = (name: 'published' | 'skipped' | 'stored') =>
    Math.round((after[name] - before[name]) / elapsed)
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }
  await cdp.detach()
  const sorted = [...recording.deltas].sort((a, b) => a - b)
  const figures: Figures = {
    situation,
    frames: sorted.length,
    medianMs: round1(percentile(sorted, 50)),
    p95Ms: round1(percentile(sorted, 95)),
    maxMs: round1(sorted.at(-1) ?? NaN),
    dropped: sorted.filter((delta) => delta > 50).length,
    longTasks: recording.longTasks.length,
    longTaskTotalMs: Math.round(recording.longTasks.reduce((sum, duration) => sum + duration, 0)),
    heapMiB: round1(heap.usedSize / 2 ** 20),
    domNodes: recording.nodes,
    listRows: recording.rows,
    updatesPerSecond: Math.round((updates() - before.updates) / elapsed),
    publishedPerSecond: rate('published'),
    skippedPerSecond: rate('skipped'),
    storedPerSecond: rate('stored'),
    cpuSystemPercent: round1((100 * (cpuSeconds(process.pid) - before.system)) / elapsed),
    cpuChromiumPercent: round1((100 * (chromiumSeconds() - before.chromium)) / elapsed),
    cpuOthersPercent: meter.stop().othersPercent,
    zoom: (await mapView(page)).zoom,
  }
  progress(`  ${situation}: ${JSON.stringify(figures)}`)
  return figures
}

/** Chromium: every process this one started (the embedded system runs in this one). */
const chromiumSeconds = () => descendants(process.pid).reduce((sum, pid) => sum + cpuSeconds(pid), 0)
const ours = { ours: () => [process.pid, ...descendants(process.pid)] }

/**
 * The system and Chromium under test keep the machine busy themselves: what must be quiet is
 * everyone else. Waits (up to a minute) until other processes use at most 20% of a core.
 */
async function awaitOthersQuiet(): Promise<number> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const meter = startCpuMeter(ours)
    await sleep(2000)
    const others = meter.stop().othersPercent
    if (others <= 20 || Date.now() > deadline) return others
  }
}

/** One fleet size: its own embedded system, a fresh context, the four situations. */
async function measureFleet(
  browser: Browser,
  synthetic: number,
): Promise<{ vehicles: number; situations: Figures[]; listedAfterMs: number }> {
  const vehicles = RECORDED + synthetic
  const dataDir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-frames-'))
  progress(`${vehicles} vehicles: starting the embedded system`)
  const system = await startEmbedded({
    dataDir,
    port: 0,
    env: {
      LOG_LEVEL: 'error',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      SYNTHETIC_VEHICLES: String(synthetic),
      REPORT_INTERVAL_MS: String(options.interval),
    },
  })
  try {
    const context = await browser.newContext({ viewport: DESKTOP })
    try {
      await context.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'))
      const page = await context.newPage()
      const updates = countUpdates(page)
      const counters = systemCounters(system.ops)
      await page.goto(system.url, { timeout: STEP_TIMEOUT_MS })
      const form = page.locator('#login-form')
      await form.getByLabel('Username').fill(ADMIN.username)
      await form.getByLabel('Password').fill(ADMIN.password)
      const signedInAt = Date.now()
      await form.getByLabel('Password').press('Enter')
      await until(
        `the header counts ${vehicles} vehicles`,
        async () => (await page.locator('#vehicle-count').textContent()) === vehicles.toLocaleString('en'),
        options.timeout * 1000,
      )
      const listedAfterMs = Date.now() - signedInAt
      progress(`${vehicles} vehicles: all listed ${listedAfterMs} ms after signing in`)
      await mapSettled(page)
      const situations: Figures[] = []
      await wholeFleet(page)
      situations.push(await record(page, 'whole fleet', updates, counters, async () => {}))
      await zoomAround(page, SHEFFIELD, ZOOMED_IN)
      situations.push(await record(page, 'zoomed in', updates, counters, async () => {}))
      await zoomAround(page, SHEFFIELD, PANNING_ZOOM)
      situations.push(await record(page, 'panning', updates, counters, (endAt) => pan(page, endAt)))
      await wholeFleet(page)
      situations.push(
        await record(page, 'scrolling the list', updates, counters, (endAt) => scrollList(page, endAt)),
      )
      return { vehicles, situations, listedAfterMs }
    } finally {
      await context.close()
    }
  } finally {
    await system.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

runBench(async () => {
  progress('building the web app')
  buildWebApp()
  const browser = await launchBrowser()
  onCleanup('browser', () => browser.close())
  const fleets = []
  for (const synthetic of String(options.synthetic).split(',').map(Number)) {
    fleets.push(await measureFleet(browser, synthetic))
  }
  const markdown = markdownTable(
    [
      'vehicles',
      'situation',
      'frame median',
      'p95',
      'max',
      'frames > 50 ms',
      'long tasks (total)',
      'JS heap',
      'DOM nodes (list rows)',
      'reports/s published / stored / received',
      'CPU system / Chromium (others)',
    ],
    fleets.flatMap(({ vehicles, situations }) =>
      situations.map((s) => [
        vehicles.toLocaleString('en'),
        `${s.situation} (zoom ${s.zoom})`,
        `${s.medianMs} ms`,
        `${s.p95Ms} ms`,
        `${s.maxMs} ms`,
        `${s.dropped} of ${s.frames}`,
        `${s.longTasks} (${s.longTaskTotalMs} ms)`,
        `${s.heapMiB} MiB`,
        `${s.domNodes} (${s.listRows})`,
        `${s.publishedPerSecond} / ${s.storedPerSecond} / ${s.updatesPerSecond}`,
        `${s.cpuSystemPercent}% / ${s.cpuChromiumPercent}% (${s.cpuOthersPercent}%)`,
      ]),
    ),
  )
  await publish('web-frames', markdown, { options, machine: await machineInfo(), fleets })
})
