// The dispatcher's tools, in headless Chromium on the embedded system: follow a vehicle, fit the
// fleet, the search and the legend filtering the map as well as the list, and the preferences.
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
import {
  areaOf,
  DESKTOP,
  fits,
  fleetShown,
  mapSettled,
  mapView,
  markerPoint,
  openAppAs,
  signIn,
} from './app-page.ts'
import { ADMIN, launchBrowser, until } from './chromium.ts'

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-fleet-tools-'))
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: { LOG_LEVEL: 'warn', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  })
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

async function vehicles(): Promise<Vehicle[]> {
  const token = await login(system.url)
  const response = await fetch(new URL('/api/vehicles', system.url), {
    headers: { authorization: `Bearer ${token}` },
  })
  return (await response.json()) as Vehicle[]
}

/** What the tests read of a list row, in the page (no DOM types in Node). */
type Row = { getAttribute(name: string): string | null }

/** The names the list shows (not hidden by the search or the legend). */
const listed = (page: Page) =>
  page
    .locator('.vehicle:visible')
    .evaluateAll((rows: Row[]) => rows.map((row) => row.getAttribute('data-name') ?? ''))

/** The map's size in pixels. */
async function mapSize(page: Page): Promise<{ width: number; height: number }> {
  const box = await page.locator('#map').boundingBox()
  assert.ok(box)
  return box
}

test('a followed vehicle stays in view as it drives, until the user pans the map', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP)
  // The fastest vehicle, so that it leaves the middle of a close view soon.
  const [fastest] = (await vehicles()).sort((a, b) => b.speedKmh - a.speedKmh)
  assert.ok(fastest && fastest.speedKmh > 40, 'a vehicle is driving fast')
  const name = fastest.name
  await page.locator(`.vehicle[data-name="${name}"] button`).click()
  const follow = page.locator('.details-follow')
  await follow.and(page.locator('[aria-pressed="true"]')).waitFor()
  assert.equal(await follow.innerText(), 'Following')
  await mapSettled(page)
  for (let zoom = (await mapView(page)).zoom; zoom < 18; zoom++) {
    await page.getByRole('button', { name: 'Zoom in' }).click()
    await mapSettled(page)
  }

  // Close in, the vehicle soon leaves the middle of the map: the map must pan after it.
  const { width, height } = await mapSize(page)
  const inView = (point: { x: number; y: number } | null) =>
    point !== null && point.x >= 0 && point.y >= 0 && point.x <= width && point.y <= height
  await until('the followed vehicle is in view after the zoom', async () =>
    inView(await markerPoint(page, name)),
  )
  const start = await mapView(page)
  const outside: Array<{ x: number; y: number }> = []
  await until(
    'the map has panned after the vehicle',
    async () => {
      const point = await markerPoint(page, name)
      assert.ok(point, `${name} is drawn`)
      if (!inView(point)) outside.push(point)
      const view = await mapView(page)
      // Panned after it: a vehicle leaving the middle 60% brings it back to the centre, a move of
      // a quarter of the view or more (the small moves before are the zoom's).
      return (
        Math.abs(view.north - start.north) > (start.north - start.south) / 4 ||
        Math.abs(view.east - start.east) > (start.east - start.west) / 4
      )
    },
    // A winding track can keep the vehicle in the middle for half a minute.
    60_000,
  )
  assert.deepEqual(outside, [], 'never out of view')

  // The user pans: the map is theirs, and Follow says so.
  const box = await page.locator('#map').boundingBox()
  assert.ok(box)
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 - 150, { steps: 5 })
  await page.mouse.up()
  await follow.and(page.locator('[aria-pressed="false"]')).waitFor()
  assert.equal(await follow.innerText(), 'Follow')

  // Follow again: the vehicle comes back to the middle.
  await follow.click()
  await follow.and(page.locator('[aria-pressed="true"]')).waitFor()
  await until('the vehicle is back in the middle of the map', async () => {
    const point = await markerPoint(page, name)
    return (
      point !== null &&
      Math.abs(point.x - width / 2) < width * 0.3 &&
      Math.abs(point.y - height / 2) < height * 0.3
    )
  })

  // "Fit the fleet" shows every vehicle again, and stops following.
  await page.getByRole('button', { name: 'Fit the fleet' }).click()
  const every = areaOf(await vehicles())
  await until('the map shows every vehicle', async () => fits(await mapView(page), every, 0.2))
  await follow.and(page.locator('[aria-pressed="false"]')).waitFor()
  assert.deepEqual(problems, [])
})

test('the search and the legend filter the map as well as the list', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP)
  const all = await listed(page)
  const [one, other] = all as [string, string]

  await page.getByLabel('Search vehicles').fill(one)
  await until('the list shows only the vehicle searched', async () =>
    (await listed(page)).every((name) => name.includes(one)),
  )
  assert.ok(await markerPoint(page, one), `${one} is still drawn`)
  if (!other.includes(one)) assert.equal(await markerPoint(page, other), null, `${other} is not drawn`)
  await page.getByLabel('Search vehicles').fill('no such vehicle')
  await page.getByText('No vehicle matches').waitFor()
  assert.equal(await markerPoint(page, one), null)
  await page.getByLabel('Search vehicles').fill('')
  await until('every vehicle is listed again', async () => (await listed(page)).length === all.length)

  // The legend's statuses: "Moving" off takes the moving vehicles off the list and the map.
  const legend = page.getByRole('group', { name: 'Show vehicles by status' })
  const moving = legend.getByRole('button', { name: 'Moving' })
  assert.equal(await moving.getAttribute('aria-pressed'), 'true')
  const looks = () =>
    page
      .locator('.vehicle:visible')
      .evaluateAll((rows: Row[]) => rows.map((row) => row.getAttribute('data-look')))
  const movingBefore = await page
    .locator('.vehicle[data-look="moving"]')
    .evaluateAll((rows: Row[]) => rows.map((row) => row.getAttribute('data-name') ?? ''))
  assert.ok(movingBefore.length > 0, 'some vehicles are moving')
  await moving.click()
  assert.equal(await moving.getAttribute('aria-pressed'), 'false')
  await until('no moving vehicle is listed', async () => !(await looks()).includes('moving'))
  // The list leaves them out; so does the map.
  const listedNow = new Set(await listed(page))
  const hidden = movingBefore.filter((name) => !listedNow.has(name))
  for (const name of hidden) assert.equal(await markerPoint(page, name), null, `${name} is not drawn`)
  await moving.click()
  await until('the moving vehicles are back', async () => (await looks()).includes('moving'))
  for (const name of movingBefore) assert.ok(await markerPoint(page, name), `${name} is drawn again`)
  assert.deepEqual(problems, [])
})

test('preferences are kept with the account: mph everywhere once chosen, the dark theme, after signing out and in', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP)
  const units = () => page.locator('.vehicle-unit').allTextContents()
  assert.deepEqual(new Set(await units()), new Set(['km/h']), 'km/h by default')
  assert.equal(
    await page.evaluate('document.documentElement.dataset.theme'),
    'light',
    'the system is light here',
  )

  await page.getByRole('button', { name: 'Preferences' }).click()
  const dialog = page.getByRole('dialog', { name: 'Preferences' })
  await dialog.getByLabel('mph').check()
  await dialog.getByLabel('Dark').check()
  await dialog.getByLabel('Show the time beside “4 min ago”').check()
  await dialog.getByLabel('Time zone').selectOption('Asia/Tokyo')
  await dialog.getByLabel('Clock').selectOption('24h')
  await dialog.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Your preferences are saved.').waitFor()

  const shownEverywhere = async () => {
    await until('every speed is in mph', async () => (await units()).every((unit) => unit === 'mph'))
    const name = (await page.locator('.vehicle').first().getAttribute('data-name'))!
    await page.locator(`.vehicle[data-name="${name}"] button`).click()
    await until('the card says mph', async () =>
      /^\d+ mph$/.test(await page.locator('#details [data-field="speed"]').innerText()),
    )
    // Tokyo's clock, on 24 hours, beside "now" or "3 s ago".
    const tokyo = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Tokyo',
      hour: '2-digit',
      minute: '2-digit',
    })
    const ago = await page.locator('#details [data-field="ago"]').innerText()
    const clock = ago.split(' · ')[1] ?? ''
    assert.match(clock, /^\d\d:\d\d$/, `the time beside "${ago}"`)
    const shownAt = Date.parse(`1970-01-01T${clock}:00Z`)
    const tokyoNow = Date.parse(`1970-01-01T${tokyo.format(Date.now())}:00Z`)
    assert.ok(
      Math.abs(tokyoNow - shownAt) <= 2 * 60_000 || Math.abs(tokyoNow - shownAt) >= 86_400_000 - 2 * 60_000,
      `${clock} is Tokyo's time`,
    )
    await page.locator(`.vehicle[data-name="${name}"] button`).click()
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark')
    assert.equal(
      await page.evaluate('getComputedStyle(document.body).backgroundColor'),
      'rgb(11, 17, 32)',
      'the page is dark',
    )
  }
  await shownEverywhere()

  // Signed out, the login page follows the system again; signed in again, the choices are back.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.locator('#login-form').waitFor()
  assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'light')
  await signIn(page, ADMIN)
  await fleetShown(page)
  await shownEverywhere()
  assert.deepEqual(problems, [])
})
