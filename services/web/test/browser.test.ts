// End to end: the whole system (embedded) serving the built app, driven by headless Chromium.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test, type TestContext } from 'node:test'
import { startEmbedded } from '@convoy/launcher'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Bounds, RoadMap, Vehicle } from '../src/types.ts'

const DIST_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url))
const DIST_ASSETS = fileURLToPath(new URL('../dist/assets', import.meta.url))
const SCREENSHOT = fileURLToPath(new URL('../test-results/app.png', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]
const VEHICLES = 38

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser
let roadMap: RoadMap

before(async () => {
  if (!existsSync(DIST_INDEX)) {
    throw new Error(`${DIST_INDEX} is missing: build the app first with \`npm run build -w @convoy/web\``)
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const roadsFile = (await readdir(DIST_ASSETS)).find((file) => /^roads-.*\.json$/.test(file))
  assert.ok(roadsFile, 'the build has a road drawing')
  roadMap = JSON.parse(await readFile(join(DIST_ASSETS, roadsFile), 'utf8')) as RoadMap
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-browser-'))
  system = await startEmbedded({ dataDir, port: 0, env: { LOG_LEVEL: 'warn' } })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

interface Session {
  page: Page
  /** Page errors and console errors, but for the refused requests. */
  problems: string[]
  /** How many map tiles the page asked for. */
  tileRequests: number
}

/** Opens the app in a fresh browser context, with map tiles (and optionally the road drawing) refused. */
async function openApp(
  t: TestContext,
  viewport: { width: number; height: number },
  { blockRoads = false } = {},
): Promise<Session> {
  const context = await browser.newContext({ viewport })
  t.after(() => context.close())
  const page = await context.newPage()
  const session: Session = { page, problems: [], tileRequests: 0 }
  // Map tiles come from the internet: refuse them, so the test sees the offline map every time.
  await page.route('https://tile.openstreetmap.org/**', (route) => {
    session.tileRequests++
    return route.abort('internetdisconnected')
  })
  if (blockRoads) await page.route('**/assets/roads-*.json', (route) => route.abort('internetdisconnected'))
  page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('net::ERR_INTERNET_DISCONNECTED')) {
      session.problems.push(`console: ${message.text()}`)
    }
  })
  await page.goto(system.url)
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 })
  await page.locator('.map--offline').waitFor({ timeout: 15_000 })
  await until(
    `all ${VEHICLES} recorded vehicles are listed`,
    async () => (await page.locator('.vehicle').count()) === VEHICLES,
  )
  return session
}

/** Where the app drew a vehicle on its (canvas) map, in pixels from the map's corner. */
const markerPoint = (page: Page, name: string) =>
  page.evaluate<{ x: number; y: number } | null>(`window.convoy.pointOf(${JSON.stringify(name)})`)

interface View {
  south: number
  west: number
  north: number
  east: number
  zoom: number
}
const mapView = (page: Page) => page.evaluate<View>('window.convoy.view()')

/** How many points the selected vehicle's trail has (Leaflet draws an empty line as `M0 0`). */
async function trailPoints(page: Page): Promise<number> {
  const d = (await page.locator('path.trail-line').getAttribute('d')) ?? ''
  return d.match(/[ML]/g)?.length ?? 0
}

/** Waits until the map has stopped moving (fly-to animations included). */
const mapSettled = (page: Page) => page.locator('#map:not([data-moving])').waitFor()

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Whether `view` shows all of `[[south, west], [north, east]]`, centred on it (within `slack` of the view). */
function fits(view: View, [[south, west], [north, east]]: Bounds, slack = 0.05): boolean {
  const height = view.north - view.south
  const width = view.east - view.west
  return (
    view.south <= south &&
    view.west <= west &&
    view.north >= north &&
    view.east >= east &&
    Math.abs((view.south + view.north) / 2 - (south + north) / 2) <= slack * height &&
    Math.abs((view.west + view.east) / 2 - (west + east) / 2) <= slack * width
  )
}

test('shows the live fleet on the map and in the list, and the trail of a selected vehicle', async (t) => {
  const { page, problems, ...session } = await openApp(t, { width: 1280, height: 800 })

  // The first view is the area of the tracks, not wherever the first vehicles happened to be.
  await until('the map shows the area of the tracks', async () => fits(await mapView(page), roadMap.home))
  const home = await mapView(page)
  const [[south, west], [north, east]] = roadMap.home
  assert.ok(
    (north - south) / (home.north - home.south) > 0.4 || (east - west) / (home.east - home.west) > 0.4,
    'zoomed in on the tracks, not out',
  )
  // Tiles refused: the map says so, and stops asking for them.
  assert.equal(await page.locator('.map-offline-hint').textContent(), 'Offline map: roads only')
  const tilesAsked = session.tileRequests
  assert.ok(tilesAsked > 0, 'tiles were tried')

  await until('the count says 38', async () => (await page.locator('#vehicle-count').textContent()) === '38')
  assert.equal(await page.locator('#vehicle-count-label').textContent(), 'vehicles')
  // Read the list in one go: it re-renders as vehicles arrive.
  type Row = { getAttribute(name: string): string | null }
  const names: string[] = await page.$$eval('.vehicle', (rows: Row[]) =>
    rows.map((row) => row.getAttribute('data-name') ?? ''),
  )
  assert.deepEqual(
    names,
    [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    'sorted by name',
  )
  assert.equal(await page.locator('#vehicle-count').textContent(), String(names.length))
  const name = names[0] as string
  assert.ok(await markerPoint(page, name), `${name} is drawn on the map`)
  await page
    .locator('.vehicle', { hasText: name })
    .first()
    .locator('.vehicle-speed-value')
    .filter({ hasText: /\d/ })
    .waitFor()

  // Select from the list: highlighted, described, and its trail drawn.
  await page.locator(`.vehicle[data-name="${name}"] button`).click()
  await page.locator(`.vehicle.is-selected[data-name="${name}"]`).waitFor()
  assert.equal(await page.locator('#details [data-field="name"]').textContent(), name)
  await until('the trail is drawn', async () => (await trailPoints(page)) >= 2)

  // Escape deselects.
  await page.keyboard.press('Escape')
  await page.locator('.vehicle.is-selected').waitFor({ state: 'detached' })
  assert.equal(await page.locator('#details').isHidden(), true)
  assert.ok((await trailPoints(page)) <= 1, 'the trail is gone')

  // Select on the map (vehicles are on a canvas: click where one is drawn, once the map is still).
  await mapSettled(page)
  const point = await markerPoint(page, name)
  assert.ok(point, `${name} is still on the map`)
  const map = await page.locator('#map').boundingBox()
  assert.ok(map)
  await page.mouse.click(map.x + point.x, map.y + point.y)
  await page.locator('.vehicle.is-selected').waitFor()
  await until('the trail is drawn', async () => (await trailPoints(page)) >= 2)
  await mapSettled(page)

  // The click focused the map, without the keyboard focus ring.
  const focus = () =>
    page.evaluate<{ focused: boolean; outline: string }>(`(() => {
      const map = document.getElementById('map')
      return { focused: document.activeElement === map, outline: getComputedStyle(map).outlineStyle }
    })()`)
  assert.deepEqual(await focus(), { focused: true, outline: 'none' })

  await mkdir(join(SCREENSHOT, '..'), { recursive: true })
  await page.screenshot({ path: SCREENSHOT })

  // Reached with the keyboard, the map shows its focus ring.
  await page.focus('a.brand')
  await page.keyboard.press('Tab')
  assert.deepEqual(await focus(), { focused: true, outline: 'solid' })

  assert.equal(session.tileRequests, tilesAsked, 'no tile requested once tiles were found offline')
  assert.deepEqual(problems, [])
})

test('without the road drawing, the first view shows the vehicles of the first snapshot', async (t) => {
  const { page, problems } = await openApp(t, { width: 1280, height: 800 }, { blockRoads: true })
  const vehicles = (await (await fetch(new URL('/api/vehicles', system.url))).json()) as Vehicle[]
  const lats = vehicles.map((vehicle) => vehicle.lat)
  const lngs = vehicles.map((vehicle) => vehicle.lng)
  // The vehicles have moved a little since the page's own snapshot.
  const margin = 0.01
  const area: Bounds = [
    [Math.min(...lats) + margin, Math.min(...lngs) + margin],
    [Math.max(...lats) - margin, Math.max(...lngs) - margin],
  ]
  await until('the map shows every vehicle', async () => fits(await mapView(page), area))
  assert.equal(await page.locator('.leaflet-roads-pane canvas').count(), 0, 'no road drawing')
  assert.deepEqual(problems, [])
})

test('on a phone, the list shows more rows and the credits fit on one line', async (t) => {
  const { page, problems } = await openApp(t, { width: 390, height: 844 })
  const attribution = await page.locator('.leaflet-control-attribution').boundingBox()
  assert.ok(attribution && attribution.height < 20, `one line of credits (${attribution?.height}px high)`)
  const text = (await page.locator('.leaflet-control-attribution').innerText()).trim()
  assert.match(text, /OpenStreetMap/)
  assert.match(text, /Tracks © R\. Chesterwood/)
  const rows = await page.evaluate<number>(`(() => {
    const list = document.getElementById('vehicle-list')
    return list.clientHeight / list.querySelector('.vehicle').getBoundingClientRect().height
  })()`)
  assert.ok(rows >= 7, `${rows.toFixed(1)} rows visible`)
  assert.deepEqual(problems, [])
})
