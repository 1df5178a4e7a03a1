// The geofences panel, in headless Chromium on the embedded system (no simulated vehicles): a
// polygon drawn with the keyboard alone is saved with its corners where the map's centre was; a
// geofence renamed and redrawn shows so in the list and after a reload; a bad edit is told in
// words; a viewer can only look.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import type { Geofence, GeofenceShape } from '@convoy/contracts'
import { startEmbedded } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser, Page } from 'playwright-core'
import { DESKTOP, mapSettled, mapView, openAppAs } from './app-page.ts'
import { launchBrowser, until } from './chromium.ts'

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser
let token: string

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-geofences-'))
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: { LOG_LEVEL: 'warn', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, VEHICLES: '0' },
  })
  token = await login(system.url)
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** A call to the API as the admin. */
async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  return fetch(new URL(path, system.url), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

async function geofences(): Promise<Geofence[]> {
  return (await (await api('GET', '/api/geofences')).json()) as Geofence[]
}

async function createGeofence(name: string, shape: GeofenceShape): Promise<Geofence> {
  const response = await api('POST', '/api/geofences', { name, shape })
  assert.equal(response.status, 201, await response.clone().text())
  return (await response.json()) as Geofence
}

const circle = (lat: number, lng: number, radiusMetres: number): GeofenceShape => ({
  type: 'circle',
  center: { lat, lng },
  radiusMetres,
})

/** Page errors and console errors, but for the answers a test provoked on purpose (`statuses`). */
const unexpected = (problems: string[], statuses: number[] = []) =>
  problems.filter((problem) => !statuses.some((status) => problem.includes(`status of ${status}`)))

/** The app, signed in, its map still (the road drawing's first view taken), the geofences tab open. */
async function openGeofences(t: TestContext, user?: { username: string; password: string }) {
  const session = await openAppAs(browser, system.url, t, DESKTOP, { vehicles: 0, ...(user && { user }) })
  // The road drawing brings the first view; then nothing moves the map but the test.
  await session.page.locator('#map .leaflet-roads-pane canvas').waitFor({ state: 'attached' })
  await mapSettled(session.page)
  await session.page.getByRole('tab', { name: 'Geofences' }).click()
  return session
}

/**
 * The map's centre: the middle of what it shows, halfway in Web Mercator's y for the latitude (as
 * Leaflet projects), so exact and not just close.
 */
async function mapCentre(page: Page): Promise<{ lat: number; lng: number }> {
  const view = await mapView(page)
  const y = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))
  const middle = (y(view.south) + y(view.north)) / 2
  return { lat: (Math.atan(Math.exp(middle)) * 360) / Math.PI - 90, lng: (view.west + view.east) / 2 }
}

/** Where the app draws a place, in pixels from the map's corner. */
const pixelOf = (page: Page, { lat, lng }: { lat: number; lng: number }) =>
  page.evaluate<{ x: number; y: number }>(`window.convoy.pointAt(${lat}, ${lng})`)

/** Presses an arrow key on the focused map and waits until Leaflet's pan has ended. */
async function pan(page: Page, key: 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight', times: number) {
  for (let i = 0; i < times; i++) {
    const before = await mapCentre(page)
    await page.keyboard.press(key)
    await until('the map moved', async () => {
      const now = await mapCentre(page)
      return now.lat !== before.lat || now.lng !== before.lng
    })
    await mapSettled(page)
  }
}

const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id')
const focused = (page: Page, id: string) =>
  until(`#${id} has the focus`, async () => (await focusedId(page)) === id)

test('a polygon drawn with the keyboard alone: its corners are where the crosshair, at the map centre, was', async (t) => {
  const { page, problems } = await openGeofences(t)
  const status = page.locator('.geofences [role="status"]')

  // The tool pressed with the keyboard; the map takes the focus, and shows a crosshair at its centre.
  await page.getByRole('button', { name: 'Draw a polygon' }).press('Enter')
  await status.filter({ hasText: 'move the map with the arrow keys and press Space' }).waitFor()
  assert.equal(await focusedId(page), 'map')
  const crosshair = page.locator('#map .map-crosshair')
  await crosshair.waitFor()
  const map = (await page.locator('#map').boundingBox())!
  const cross = (await crosshair.boundingBox())!
  assert.ok(
    Math.abs(cross.x + cross.width / 2 - (map.x + map.width / 2)) <= 1,
    'the crosshair is centred across',
  )
  assert.ok(Math.abs(cross.y + cross.height / 2 - (map.y + map.height / 2)) <= 1, 'and up and down')
  const finish = page.getByRole('button', { name: 'Finish the polygon' })

  // A square: here, two steps east, two south, two west. Each corner where the centre was.
  const corners: Array<{ lat: number; lng: number }> = []
  const addCorner = async (how: 'Space' | 'button') => {
    corners.push(await mapCentre(page))
    if (how === 'Space') await page.keyboard.press('Space')
    else await page.getByRole('button', { name: 'Add a corner at the crosshair' }).press('Enter')
    const count = corners.length
    await status.filter({ hasText: `${count} ${count === 1 ? 'corner' : 'corners'} so far` }).waitFor()
  }
  await addCorner('Space')
  await pan(page, 'ArrowRight', 2)
  await addCorner('Space')
  assert.equal(await finish.isDisabled(), true, 'two corners cannot be finished')
  await pan(page, 'ArrowDown', 2)
  // The panel's button does as Space does, and gives the map the focus back for the arrow keys.
  await addCorner('button')
  assert.equal(await finish.isEnabled(), true)
  assert.equal(await focusedId(page), 'map')
  await pan(page, 'ArrowLeft', 2)
  await addCorner('Space')
  // Space again without moving adds nothing; Backspace takes the fourth corner back, Space puts it again.
  await page.keyboard.press('Space')
  await page.keyboard.press('Backspace')
  await status.filter({ hasText: '3 corners so far' }).waitFor()
  await page.keyboard.press('Space')
  await status.filter({ hasText: '4 corners so far' }).waitFor()

  await page.keyboard.press('Enter')
  const name = page.getByLabel('Name of the new polygon')
  await name.waitFor()
  assert.equal(await crosshair.isVisible(), false, 'the crosshair goes once the polygon is finished')
  await focused(page, 'geofence-name')
  await page.keyboard.type('Keyboard Square')
  await page.keyboard.press('Enter')

  const row = page.locator('.geofence[data-name="Keyboard Square"]')
  await row.waitFor()
  assert.equal(await row.locator('.geofence-meta').innerText(), 'Polygon, 4 corners · by admin')
  const saved = (await geofences()).find((geofence) => geofence.name === 'Keyboard Square')
  assert.ok(saved && saved.shape.type === 'polygon')
  assert.equal(saved.shape.points.length, 4)
  saved.shape.points.forEach((point, i) => {
    // 2e-5 degrees: about 2 m, where each step of the arrow keys is kilometres.
    assert.ok(Math.abs(point.lat - corners[i]!.lat) < 2e-5, `corner ${i}: latitude ${point.lat}`)
    assert.ok(Math.abs(point.lng - corners[i]!.lng) < 2e-5, `corner ${i}: longitude ${point.lng}`)
  })
  assert.deepEqual(problems, [])
})

test('a geofence renamed and redrawn as a polygon: the list shows its new name and shape, also after a reload', async (t) => {
  const before = await createGeofence('Depot Yard', circle(53.38, -1.47, 300))
  const { page, problems } = await openGeofences(t)

  await page.getByRole('button', { name: 'Edit the geofence Depot Yard' }).click()
  const form = page.getByRole('form', { name: 'Edit the geofence Depot Yard' })
  await form.waitFor()
  await focused(page, 'geofence-edit-name')
  assert.equal(await form.locator('.geofence-meta').innerText(), 'Circle, 300 m radius, in amber on the map')
  // The map flies to it, and marks it as the one being edited.
  const marked = page.locator('#map .geofence-path--editing')
  await marked.waitFor()
  await mapSettled(page)
  await form.getByLabel('Name').fill('Depot Yard East')

  // A circle started, then given up by pressing its button again: the present shape stays.
  const asCircle = form.getByRole('button', { name: 'Redraw as a circle' })
  await asCircle.click()
  await form.getByRole('status').filter({ hasText: 'Click the centre on the map' }).waitFor()
  assert.equal(await asCircle.getAttribute('aria-pressed'), 'true')
  await asCircle.click()
  await form.getByRole('status').waitFor({ state: 'detached' })
  assert.equal(await page.locator('#map .map-crosshair').isVisible(), false)
  assert.equal(await form.locator('.geofence-meta').innerText(), 'Circle, 300 m radius, in amber on the map')

  await form.getByRole('button', { name: 'Redraw as a polygon' }).click()
  await form.getByRole('status').filter({ hasText: 'Click each corner on the map' }).waitFor()
  assert.equal(await page.locator('#map .map-crosshair').isVisible(), true)
  assert.equal(await marked.isVisible(), true, 'the present shape stays marked while the new one is drawn')
  assert.equal(await form.getByRole('button', { name: 'Save changes' }).isDisabled(), true)

  // Three clicks around the circle's centre, then the panel's Finish.
  const box = (await page.locator('#map').boundingBox())!
  const centre = await pixelOf(
    page,
    before.shape.type === 'circle' ? before.shape.center : { lat: 0, lng: 0 },
  )
  const clicks = [
    { x: centre.x - 80, y: centre.y - 60 },
    { x: centre.x + 80, y: centre.y - 60 },
    { x: centre.x, y: centre.y + 90 },
  ]
  for (const [i, click] of clicks.entries()) {
    await page.mouse.move(box.x + click.x, box.y + click.y, { steps: 2 })
    await page.mouse.click(box.x + click.x, box.y + click.y)
    await form
      .getByRole('status')
      .filter({ hasText: `${i + 1} corner` })
      .waitFor()
  }
  await form.getByRole('button', { name: 'Finish the polygon' }).click()
  await form
    .locator('.geofence-meta', { hasText: 'New shape: Polygon, 3 corners, dashed on the map' })
    .waitFor()
  assert.equal(await page.locator('#map .geofence-preview').isVisible(), true)
  // Back in the form, for the name or Save.
  await focused(page, 'geofence-edit-name')
  await form.getByRole('button', { name: 'Save changes' }).click()

  const row = page.locator('.geofence[data-name="Depot Yard East"]')
  await row.locator('.geofence-button').waitFor()
  assert.equal(await row.locator('.geofence-meta').innerText(), 'Polygon, 3 corners · by admin')
  assert.equal(await page.locator('.geofence[data-name="Depot Yard"]').count(), 0)
  assert.equal(await marked.count(), 0, 'nothing is marked once saved')
  assert.equal(await page.locator('#map .geofence-preview').count(), 0)
  // The focus is back on the geofence's Edit button.
  assert.equal(
    await page.evaluate('document.activeElement?.getAttribute("aria-label")'),
    'Edit the geofence Depot Yard East',
  )
  // Saved where it was clicked (the map has not moved since).
  const after = (await geofences()).find((geofence) => geofence.id === before.id)
  assert.ok(after && after.shape.type === 'polygon')
  assert.equal(after.name, 'Depot Yard East')
  for (const [i, point] of after.shape.points.entries()) {
    const drawn = await pixelOf(page, point)
    assert.ok(Math.hypot(drawn.x - clicks[i]!.x, drawn.y - clicks[i]!.y) < 1.5, `corner ${i} where clicked`)
  }

  await page.reload()
  await page.getByRole('tab', { name: 'Geofences' }).click()
  await row.locator('.geofence-button').waitFor()
  assert.equal(await row.locator('.geofence-meta').innerText(), 'Polygon, 3 corners · by admin')
  assert.equal(await page.locator('.geofence[data-name="Depot Yard"]').count(), 0)
  assert.deepEqual(problems, [])
})

test('a bad edit is told in words: a blank name, a name another geofence has, a geofence deleted meanwhile; deleting one already gone just removes it', async (t) => {
  const canal = await createGeofence('Canal Basin', circle(53.385, -1.46, 200))
  await createGeofence('Station Yard', circle(53.378, -1.462, 150))
  const { page, problems } = await openGeofences(t)
  const edit = async (name: string) => {
    await page.getByRole('button', { name: `Edit the geofence ${name}` }).click()
    const form = page.getByRole('form', { name: `Edit the geofence ${name}` })
    await form.waitFor()
    return form
  }

  const form = await edit('Canal Basin')
  const alert = form.getByRole('alert')
  await form.getByLabel('Name').fill('   ')
  await form.getByRole('button', { name: 'Save changes' }).click()
  await alert.filter({ hasText: 'Give the geofence a name.' }).waitFor()

  // The server refuses a name taken: its words, in the form, which stays open with what was typed.
  await form.getByLabel('Name').fill('Station Yard')
  await form.getByRole('button', { name: 'Save changes' }).click()
  await alert.filter({ hasText: 'A geofence named "Station Yard" already exists.' }).waitFor()
  assert.equal(await form.getByLabel('Name').inputValue(), 'Station Yard')

  // Escape leaves it as it was.
  await form.getByLabel('Name').press('Escape')
  await form.waitFor({ state: 'detached' })
  const row = page.locator('.geofence[data-name="Canal Basin"]')
  assert.equal(await row.locator('.geofence-meta').innerText(), 'Circle, 200 m radius · by admin')
  assert.equal(
    await page.evaluate('document.activeElement?.getAttribute("aria-label")'),
    'Edit the geofence Canal Basin',
  )
  const stored = (await geofences()).find((geofence) => geofence.id === canal.id)
  assert.deepEqual(stored, canal)

  // Someone deletes it while it is being edited: the panel says so, and it leaves the list.
  const again = await edit('Canal Basin')
  await again.getByLabel('Name').fill('Canal Basin North')
  assert.equal((await api('DELETE', `/api/geofences/${canal.id}`)).status, 204)
  await again.getByRole('button', { name: 'Save changes' }).click()
  await page
    .locator('.geofences > [role="alert"]')
    .filter({ hasText: 'This geofence is not there any more: someone deleted it meanwhile.' })
    .waitFor()
  await until('the deleted geofence leaves the list', async () => (await row.count()) === 0)
  assert.equal(await page.locator('.geofence[data-name="Station Yard"]').count(), 1)

  // Deleting one someone deleted first: done, without a word, and it leaves the list.
  const station = (await geofences()).find((geofence) => geofence.name === 'Station Yard')!
  assert.equal((await api('DELETE', `/api/geofences/${station.id}`)).status, 204)
  await page.getByRole('button', { name: 'Delete the geofence Station Yard' }).click()
  await until(
    'it leaves the list',
    async () => (await page.locator('.geofence[data-name="Station Yard"]').count()) === 0,
  )
  assert.equal(await page.locator('.geofences > [role="alert"]').innerText(), '')
  assert.deepEqual(unexpected(problems, [404, 409]), [])
})

test('a viewer sees the geofences but no tool to draw, edit or delete them', async (t) => {
  await createGeofence('Viewer Park', circle(53.39, -1.48, 250))
  const viewer = { username: 'vic', password: 'vic viewer phrase' }
  const response = await api('POST', '/api/auth/users', { ...viewer, role: 'viewer' })
  assert.equal(response.status, 201, await response.text())
  const { page, problems } = await openGeofences(t, viewer)

  const row = page.locator('.geofence[data-name="Viewer Park"]')
  await row.waitFor()
  assert.equal(await row.getByRole('button').count(), 1, 'only the button that shows it')
  assert.equal(await page.getByRole('button', { name: 'Draw a polygon' }).count(), 0)
  assert.deepEqual(problems, [])
})
