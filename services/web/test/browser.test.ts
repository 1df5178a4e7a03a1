// End to end: the whole system (embedded) serving the built app, driven by headless Chromium.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { startEmbedded } from '@convoy/launcher'
import { chromium, type Browser, type Page } from 'playwright-core'

const DIST_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url))
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

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser
let page: Page
const problems: string[] = []

before(async () => {
  if (!existsSync(DIST_INDEX)) {
    throw new Error(`${DIST_INDEX} is missing: build the app first with \`npm run build -w @convoy/web\``)
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-browser-'))
  system = await startEmbedded({ dataDir, port: 0, env: { LOG_LEVEL: 'warn' } })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  // Map tiles come from the internet: refuse them, so the test sees the offline map every time.
  await page.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'))
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('net::ERR_INTERNET_DISCONNECTED')) {
      problems.push(`console: ${message.text()}`)
    }
  })
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** Where the app drew a vehicle on its (canvas) map, in pixels from the map's corner. */
const markerPoint = (name: string) =>
  page.evaluate<{ x: number; y: number } | null>(`window.convoy.pointOf(${JSON.stringify(name)})`)

/** How many points the selected vehicle's trail has (Leaflet draws an empty line as `M0 0`). */
async function trailPoints(): Promise<number> {
  const d = (await page.locator('path.trail-line').getAttribute('d')) ?? ''
  return d.match(/[ML]/g)?.length ?? 0
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test('shows the live fleet on the map and in the list, and the trail of a selected vehicle', async () => {
  await page.goto(system.url)
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 })
  await page.locator('.vehicle').first().waitFor({ timeout: 15_000 })
  await page.locator('.map--offline').waitFor()

  await until(
    'all 38 recorded vehicles are listed',
    async () => (await page.locator('.vehicle').count()) === 38,
  )
  await until('the count says 38', async () => (await page.locator('#vehicle-count').textContent()) === '38')
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
  assert.ok(await markerPoint(name), `${name} is drawn on the map`)
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
  await until('the trail is drawn', async () => (await trailPoints()) >= 2)

  // Escape deselects.
  await page.keyboard.press('Escape')
  await page.locator('.vehicle.is-selected').waitFor({ state: 'detached' })
  assert.equal(await page.locator('#details').isHidden(), true)
  assert.ok((await trailPoints()) <= 1, 'the trail is gone')

  // Select on the map (vehicles are on a canvas: click where one is drawn).
  await page.waitForTimeout(1000) // let the fly-to animation finish
  const point = await markerPoint(name)
  assert.ok(point, `${name} is still on the map`)
  const map = await page.locator('#map').boundingBox()
  assert.ok(map)
  await page.mouse.click(map.x + point.x, map.y + point.y)
  await page.locator('.vehicle.is-selected').waitFor()
  await until('the trail is drawn', async () => (await trailPoints()) >= 2)
  await page.waitForTimeout(1500) // the fly-to animation, for a steady screenshot

  await mkdir(join(SCREENSHOT, '..'), { recursive: true })
  await page.screenshot({ path: SCREENSHOT })
  assert.deepEqual(problems, [])
})
