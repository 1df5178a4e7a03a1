// A fleet of 5,038 (the 38 recorded vehicles and 5,000 synthetic ones) in headless Chromium on the
// embedded system: the list is windowed yet reaches every vehicle, by scrolling, the keyboard and
// the search; the map draws clusters when zoomed out, which a click zooms into, and single
// vehicles when zoomed in; selecting one on the map scrolls the list to it.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { startEmbedded } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser, Page } from 'playwright-core'
import type { Vehicle } from '@convoy/web/types'
import { DESKTOP, mapSettled, mapView, markerPoint, newAppPage, signIn, VEHICLES } from './app-page.ts'
import { ADMIN, launchBrowser, until } from './chromium.ts'

const SYNTHETIC = 5000
/** The closest zoom with clusters (services/web/src/fleet/vehicle-clusters.ts). */
const CLUSTER_MAX_ZOOM = 16
const FLEET = VEHICLES + SYNTHETIC

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-scale-'))
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: {
      LOG_LEVEL: 'warn',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      SYNTHETIC_VEHICLES: String(SYNTHETIC),
      // A report of each vehicle every 5 s, not every second: the page is what is tested here, and
      // 5,000 reports a second would take the two cores from the rest of the suite running beside it.
      REPORT_INTERVAL_MS: '5000',
    },
  })
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** Every vehicle's name, as the API has them, in the list's order. */
async function names(): Promise<string[]> {
  const token = await login(system.url)
  const response = await fetch(new URL('/api/vehicles', system.url), {
    headers: { authorization: `Bearer ${token}` },
  })
  const vehicles = (await response.json()) as Vehicle[]
  return vehicles
    .map((vehicle) => vehicle.name)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }))
}

/** What the tests read of the list, in the page (no DOM types in Node). */
type Row = { getAttribute(name: string): string | null }
interface Drawn {
  clusters: Array<{ x: number; y: number; count: number }>
  /** The names drawn by themselves, with their points. */
  alone: Array<{ name: string; x: number; y: number }>
}

/** The clusters drawn, and the vehicles (of `names`) drawn by themselves, at one moment. */
const drawn = (page: Page, names: readonly string[]) =>
  page.evaluate<Drawn>(`(() => {
    const alone = []
    for (const name of ${JSON.stringify(names)}) {
      const point = window.convoy.pointOf(name)
      if (point) alone.push({ name, x: point.x, y: point.y })
    }
    return { clusters: window.convoy.clusters(), alone }
  })()`)

const rowNames = (page: Page) =>
  page
    .locator('.vehicle')
    .evaluateAll((rows: Row[]) => rows.map((row) => row.getAttribute('data-name') ?? ''))

/** The name of the row whose button has the focus. */
const focusedRow = (page: Page) =>
  page.evaluate<string | null>(`document.activeElement?.closest('.vehicle')?.dataset.name ?? null`)

/** Whether the row of `name` is in the DOM and inside the list's visible part. */
const rowInView = (page: Page, name: string) =>
  page.evaluate<boolean>(`(() => {
    const list = document.getElementById('vehicle-list').getBoundingClientRect()
    const row = document.querySelector('.vehicle[data-name=${JSON.stringify(name)}]')?.getBoundingClientRect()
    return !!row && row.top >= list.top - 1 && row.bottom <= list.bottom + 1
  })()`)

// A system of 5,038 vehicles and a browser take their time on two cores shared with the suite.
test(
  '5,038 vehicles: a windowed list, clusters on the map, and every vehicle within reach',
  { timeout: 300_000 },
  async (t) => {
    const { page, problems } = await newAppPage(browser, t, DESKTOP)
    await page.goto(system.url)
    await signIn(page, ADMIN)
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 })
    await until(
      'the count says 5,038',
      async () => (await page.locator('#vehicle-count').textContent()) === FLEET.toLocaleString('en'),
      60_000,
    )
    const all = await names()
    assert.equal(all.length, FLEET)

    // Windowed: a few dozen rows in the DOM, each saying its place in the whole list.
    const shown = await rowNames(page)
    assert.ok(shown.length > 10 && shown.length < 100, `${shown.length} rows in the DOM`)
    assert.deepEqual(shown, all.slice(0, shown.length), 'the first rows, in order')
    const first = page.locator('.vehicle').first()
    assert.equal(await first.getAttribute('aria-setsize'), String(FLEET))
    assert.equal(await first.getAttribute('aria-posinset'), '1')

    // Scrolled to its end, the list shows the last vehicle.
    const last = all.at(-1)!
    await page.locator('#vehicle-list').evaluate((list: { scrollTop: number; scrollHeight: number }) => {
      list.scrollTop = list.scrollHeight
    })
    await until(`${last} is in view`, () => rowInView(page, last))
    assert.equal(
      await page.locator(`.vehicle[data-name="${last}"]`).getAttribute('aria-posinset'),
      String(FLEET),
    )
    assert.ok((await page.locator('.vehicle').count()) < 100, 'still windowed')

    // The keyboard moves through the whole list: Home, the arrows, End.
    await page.locator(`.vehicle[data-name="${last}"] button`).focus()
    await page.keyboard.press('Home')
    await until('the first vehicle has the focus', async () => (await focusedRow(page)) === all[0])
    assert.ok(await rowInView(page, all[0]!), 'and is in view')
    await page.keyboard.press('ArrowDown')
    await until('the second has it', async () => (await focusedRow(page)) === all[1])
    await page.keyboard.press('End')
    await until('the last has it', async () => (await focusedRow(page)) === last)
    assert.ok(await rowInView(page, last))

    // The search finds one vehicle among 5,038, which the map draws by itself.
    const search = page.getByLabel('Search vehicles')
    await search.fill('Load 04999')
    await until('the list shows Load 04999 alone', async () => (await rowNames(page)).join() === 'Load 04999')
    assert.ok(await markerPoint(page, 'Load 04999'), 'Load 04999 is drawn')
    assert.deepEqual((await drawn(page, [])).clusters, [], 'no cluster for one vehicle')

    // Selected from the list, the map flies to it: close in, every vehicle is drawn by itself.
    await page.locator('.vehicle[data-name="Load 04999"] button').click()
    await page.locator('.vehicle.is-selected[data-name="Load 04999"]').waitFor()
    await until('the map flies to it', async () => (await mapView(page)).zoom >= 15)
    await mapSettled(page)
    await page.keyboard.press('Escape')
    await search.fill('')
    await until('every vehicle is listed again', async () => (await rowNames(page)).length > 10)
    await until('the list is at its top', async () => (await rowNames(page))[0] === all[0])

    // Closer in than the last zoom with clusters, every vehicle is drawn by itself.
    while ((await mapView(page)).zoom <= CLUSTER_MAX_ZOOM) {
      await page.getByRole('button', { name: 'Zoom in' }).click()
      await mapSettled(page)
    }
    // Selected on the map, a vehicle far down the list is scrolled into view there. Vehicles crowd
    // the tracks, so the click goes to the one with the most room around it, and the test follows
    // whichever the click selects (the details card names it).
    const box = await page.locator('#map').boundingBox()
    assert.ok(box)
    const close = await drawn(page, all)
    assert.deepEqual(close.clusters, [], 'no clusters close in')
    const room = (one: { x: number; y: number }) =>
      Math.min(
        ...close.alone.filter((other) => other !== one).map((o) => Math.hypot(o.x - one.x, o.y - one.y)),
      )
    const candidates = close.alone
      .filter(
        ({ name, x, y }) =>
          all.indexOf(name) > 200 && x > 40 && y > 40 && x < box.width - 40 && y < box.height - 40,
      )
      .sort((a, b) => room(b) - room(a))
    assert.ok(
      candidates.length > 0,
      `vehicles far down the list drawn alone in view (${close.alone.length} drawn)`,
    )
    const details = page.locator('#details [data-field="name"]')
    for (const candidate of candidates.slice(0, 5)) {
      const point = await markerPoint(page, candidate.name)
      if (point) await page.mouse.click(box.x + point.x, box.y + point.y)
      const hit = await until('a vehicle is selected', () => details.isVisible(), 3_000).then(
        () => true,
        () => false,
      )
      if (hit) break
    }
    const chosen = (await details.textContent()) ?? ''
    assert.ok(all.indexOf(chosen) > 100, `${chosen} is far down the list`)
    await until(`${chosen} is scrolled into view in the list`, () => rowInView(page, chosen))
    assert.equal(await page.locator('.vehicle.is-selected').getAttribute('data-name'), chosen)
    await page.keyboard.press('Escape')
    await page.locator('.vehicle.is-selected').waitFor({ state: 'detached' })

    // The whole fleet in view: clusters, which with the vehicles drawn alone count every vehicle once.
    await page.getByRole('button', { name: 'Fit the fleet' }).click()
    await until('the map is zoomed out', async () => (await mapView(page)).zoom <= 10)
    await mapSettled(page)
    let whole: Drawn = { clusters: [], alone: [] }
    await until('clusters are drawn', async () => {
      whole = await drawn(page, all)
      return whole.clusters.length > 0
    })
    const counted = whole.clusters.reduce((sum, cluster) => sum + cluster.count, 0) + whole.alone.length
    assert.equal(counted, FLEET, 'every vehicle in a cluster or drawn alone')
    assert.ok(whole.alone.length < 500, `${whole.alone.length} drawn alone`)

    // A click on the largest cluster zooms into it.
    const largest = whole.clusters
      .filter(({ x, y }) => x > 40 && y > 40 && x < box.width - 40 && y < box.height - 40)
      .sort((a, b) => b.count - a.count)[0]
    assert.ok(largest, 'a cluster in view')
    const zoomBefore = (await mapView(page)).zoom
    await page.mouse.click(box.x + largest.x, box.y + largest.y)
    await until('the map zooms in', async () => (await mapView(page)).zoom > zoomBefore)
    await mapSettled(page)
    assert.deepEqual(problems, [])
  },
)
