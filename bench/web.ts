/**
 * What the web app costs a browser: the size of its build (raw, gzip and brotli, per kind of
 * asset, and what a first visit downloads), and how long headless Chromium takes to show it —
 * from navigation start to the login form, and from submitting the login to the first vehicle
 * in the list and to all 38 — on the embedded system, median of `--runs` fresh browser contexts.
 *
 *   node bench/web.ts [--runs=5]
 *
 * Builds the app first (`npm run build -w @convoy/web`, about a second), so the figures are those
 * of the code checked out. Chromium: /usr/bin/chromium or CHROMIUM_PATH, as the browser tests.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { eventually, metricValue } from '@convoy/platform/testing'
import { startEmbedded } from '@convoy/system'
import { TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser } from 'playwright-core'
import { ADMIN, launchBrowser, until } from '../apps/convoy/test/web/chromium.ts'
import { median, parseArgs } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { awaitQuietMachine, round1 } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { buildWebApp, ROOT } from './lib/services.ts'

const options = parseArgs({ runs: 5 })
const DIST = path.join(ROOT, 'services/web/dist')
const VEHICLES = 38
const DESKTOP = { width: 1280, height: 800 }
/** How long one step of a run may take before the run fails. */
const STEP_TIMEOUT_MS = 30_000

// ---- Bundle size ----

type Kind = 'JS' | 'CSS' | 'HTML' | 'other'
interface Sizes {
  raw: number
  gzip: number
  brotli: number
}
interface Asset extends Sizes {
  file: string
  kind: Kind
}

const kindOf = (file: string): Kind =>
  file.endsWith('.js') ? 'JS' : file.endsWith('.css') ? 'CSS' : file.endsWith('.html') ? 'HTML' : 'other'

/** Every file of the build but the `.br`/`.gz` twins the build writes for the static server. */
async function measureAssets(): Promise<Asset[]> {
  const files = (await readdir(DIST, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && !/\.(?:br|gz)$/.test(entry.name))
    .map((entry) => path.relative(DIST, path.join(entry.parentPath, entry.name)))
  const assets: Asset[] = []
  for (const file of files.sort()) {
    const bytes = await readFile(path.join(DIST, file))
    assets.push({
      file,
      kind: kindOf(file),
      raw: bytes.length,
      // The best levels, as the build's own twins (services/web/build/compress-plugin.ts).
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }).length,
    })
  }
  return assets
}

/** index.html and the files it names (script, stylesheet, preloads, icon): a first visit's downloads. */
async function firstVisitFiles(): Promise<string[]> {
  const html = await readFile(path.join(DIST, 'index.html'), 'utf8')
  const referenced = [...html.matchAll(/(?:src|href)="\/([^"#?]+)"/g)].map((match) => match[1]!)
  return ['index.html', ...new Set(referenced)]
}

const sum = (assets: Sizes[]): Sizes => ({
  raw: assets.reduce((total, asset) => total + asset.raw, 0),
  gzip: assets.reduce((total, asset) => total + asset.gzip, 0),
  brotli: assets.reduce((total, asset) => total + asset.brotli, 0),
})

const kib = (bytes: number) => `${round1(bytes / 1024)} KiB`
const sizeCells = (sizes: Sizes) => [kib(sizes.raw), kib(sizes.gzip), kib(sizes.brotli)]

// ---- First render ----

/**
 * Installed before the page's own scripts: a MutationObserver notes `performance.now()` (ms
 * since navigation start) the first time each condition holds in the DOM, and a capturing
 * listener notes the login form's submit. The observer runs as a microtask after the change,
 * before the browser paints it, so these are the times the DOM was ready, not painted.
 */
const OBSERVER = `(() => {
  const marks = (window.__bench = {})
  const note = (name, holds) => { if (!(name in marks) && holds()) marks[name] = performance.now() }
  const check = () => {
    note('loginShown', () => document.getElementById('login')?.hidden === false)
    note('firstVehicle', () => !!document.querySelector('.vehicle-name')?.textContent)
    note('allVehicles', () => document.querySelectorAll('.vehicle-name').length >= ${VEHICLES})
  }
  document.addEventListener('submit', () => { marks.submitted ??= performance.now() }, true)
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'],
  })
})()`

interface Marks {
  loginShown: number
  submitted: number
  firstVehicle: number
  allVehicles: number
}
interface Run {
  fcpMs: number
  loginShownMs: number
  firstVehicleMs: number
  allVehiclesMs: number
  /** Requests and bytes transferred (as the browser received them) before the login form. */
  requestsBeforeLogin: string[]
  transferredBeforeLogin: number
}

/** One first visit in a fresh context (no cache, no session): open, sign in, wait for the fleet. */
async function firstVisit(browser: Browser, url: string): Promise<Run> {
  const context = await browser.newContext({ viewport: DESKTOP })
  try {
    // Map tiles come from the internet: refused, as in the browser tests (the offline map).
    await context.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'))
    await context.addInitScript(OBSERVER)
    const page = await context.newPage()
    // Polled through the DevTools protocol: a string for waitForFunction is an eval in the page,
    // which its Content-Security-Policy refuses.
    const waitMark = (name: keyof Marks) =>
      until(
        `the mark ${name}`,
        () => page.evaluate<boolean>(`window.__bench.${name} !== undefined`),
        STEP_TIMEOUT_MS,
      )
    await page.goto(url, { timeout: STEP_TIMEOUT_MS })
    await waitMark('loginShown')
    const form = page.locator('#login-form')
    await form.getByLabel('Username').fill(ADMIN.username)
    await form.getByLabel('Password').fill(ADMIN.password)
    await form.getByLabel('Password').press('Enter')
    await waitMark('allVehicles')
    const { marks, fcp, resources } = await page.evaluate<{
      marks: Marks
      fcp: number
      resources: Array<{ name: string; end: number; transferred: number }>
    }>(`({
      marks: window.__bench,
      fcp: performance.getEntriesByName('first-contentful-paint', 'paint')[0]?.startTime ?? NaN,
      resources: [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
        .map((entry) => ({ name: entry.name, end: entry.responseEnd, transferred: entry.transferSize })),
    })`)
    const beforeLogin = resources.filter((resource) => resource.end <= marks.loginShown)
    return {
      fcpMs: round1(fcp),
      loginShownMs: round1(marks.loginShown),
      firstVehicleMs: round1(marks.firstVehicle - marks.submitted),
      allVehiclesMs: round1(marks.allVehicles - marks.submitted),
      requestsBeforeLogin: beforeLogin.map((resource) => new URL(resource.name).pathname),
      transferredBeforeLogin: beforeLogin.reduce((total, resource) => total + resource.transferred, 0),
    }
  } finally {
    await context.close()
  }
}

runBench(async () => {
  progress('building the web app')
  buildWebApp()
  const assets = await measureAssets()
  const firstFiles = await firstVisitFiles()
  const firstVisitAssets = assets.filter((asset) => firstFiles.includes(asset.file))

  const dataDir = await mkdtemp(path.join(tmpdir(), 'convoy-bench-web-'))
  onCleanup('data folder', () => rm(dataDir, { recursive: true, force: true }))
  progress('starting the embedded system')
  const system = await startEmbedded({
    dataDir,
    port: 0,
    env: { LOG_LEVEL: 'error', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  })
  onCleanup('embedded system', () => system.close())
  const browser = await launchBrowser()
  onCleanup('browser', () => browser.close())
  // Every vehicle has reported before the first visit, so the list can fill up at once.
  await eventually(
    async () => (await metricValue(system.ops['position-tracker'], 'positions_stored_total')) >= VEHICLES,
    'every vehicle stored',
    60_000,
  )
  // A first visit to warm Chromium and the servers up; kept in the JSON, not in the medians.
  progress('a warm-up visit')
  const warmUp = await firstVisit(browser, system.url)
  const runs: Run[] = []
  for (let run = 1; run <= options.runs; run++) {
    await awaitQuietMachine()
    progress(`visit ${run} of ${options.runs}`)
    runs.push(await firstVisit(browser, system.url))
  }

  const kinds: Kind[] = ['JS', 'CSS', 'HTML', 'other']
  const stat = (pick: (run: Run) => number) => {
    const values = runs.map(pick)
    return `**${round1(median(values))} ms** (${Math.min(...values)}–${Math.max(...values)})`
  }
  const markdown = [
    markdownTable(
      ['build', 'files', 'raw', 'gzip -9', 'brotli -q 11'],
      [
        ...kinds.map((kind) => {
          const ofKind = assets.filter((asset) => asset.kind === kind)
          return [kind, ofKind.length, ...sizeCells(sum(ofKind))]
        }),
        ['**total**', assets.length, ...sizeCells(sum(assets))],
        [
          'first visit: index.html and the files it names',
          firstVisitAssets.length,
          ...sizeCells(sum(firstVisitAssets)),
        ],
      ],
    ),
    '',
    markdownTable(
      ['first render (median of ' + runs.length + ', range)', 'time'],
      [
        ['navigation start → first contentful paint', stat((run) => run.fcpMs)],
        ['navigation start → login form shown', stat((run) => run.loginShownMs)],
        ['login submitted → first vehicle listed', stat((run) => run.firstVehicleMs)],
        [`login submitted → all ${VEHICLES} vehicles listed`, stat((run) => run.allVehiclesMs)],
      ],
    ),
    '',
    `Before the login form: ${median(runs.map((run) => run.requestsBeforeLogin.length))} requests, ` +
      `${kib(median(runs.map((run) => run.transferredBeforeLogin)))} transferred (median).`,
  ].join('\n')
  await publish('web', markdown, {
    options,
    machine: await machineInfo(),
    assets,
    firstVisit: firstFiles,
    warmUp,
    runs,
  })
})
