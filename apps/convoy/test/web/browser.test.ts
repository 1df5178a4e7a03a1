// End to end: the whole system (embedded) serving the built app, driven by headless Chromium.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test, type TestContext } from 'node:test'
import { startEmbedded } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser, Page } from 'playwright-core'
import type { Vehicle } from '@convoy/web/types'
import {
  areaOf,
  DESKTOP,
  fleetShown,
  fits,
  mapSettled,
  mapView,
  markerPoint,
  newAppPage,
  openAppAs,
  signIn,
  type Viewport,
} from './app-page.ts'
import { ADMIN, launchBrowser, PHONE, until } from './chromium.ts'

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
/** Where the app keeps its session (see services/web/src/session/session.ts). */
const SESSION_KEY = 'convoy.session'

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-browser-'))
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: { LOG_LEVEL: 'warn', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, LOGIN_MAX_FAILURES_PER_USER: '5' },
  })
  await mkdir(RESULTS, { recursive: true })
})

after(async () => {
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

/** A page in a fresh browser context, with map tiles (and optionally the roads) refused. */
const newPage = (t: TestContext, viewport: Viewport, options: { blockRoads?: boolean } = {}) =>
  newAppPage(browser, t, viewport, options)

/** Opens the app in a fresh browser context and signs in (as the admin unless told otherwise). */
const openApp = (
  t: TestContext,
  viewport: Viewport,
  options: { blockRoads?: boolean; user?: typeof ADMIN } = {},
) => openAppAs(browser, system.url, t, viewport, options)

/** Every vehicle's latest state, as the API has it. */
async function vehicles(): Promise<Vehicle[]> {
  const token = await login(system.url)
  const response = await fetch(new URL('/api/vehicles', system.url), {
    headers: { authorization: `Bearer ${token}` },
  })
  return (await response.json()) as Vehicle[]
}

const stored = (page: Page) =>
  page.evaluate<{ accessToken: string; refreshToken: string } | null>(
    `JSON.parse(localStorage.getItem(${JSON.stringify(SESSION_KEY)}))`,
  )

const screenshot = (page: Page, name: string) => page.screenshot({ path: join(RESULTS, name) })

/** How many points the selected vehicle's trail has (Leaflet draws an empty line as `M0 0`). */
async function trailPoints(page: Page): Promise<number> {
  const d = (await page.locator('path.trail-line').getAttribute('d')) ?? ''
  return d.match(/[ML]/g)?.length ?? 0
}

test('shows the live fleet on the map and in the list, and the trail of a selected vehicle', async (t) => {
  const { page, problems, ...session } = await openApp(t, DESKTOP)

  // The first view shows every vehicle, not only the area where most tracks are.
  const every = areaOf(await vehicles())
  await until('the map shows every vehicle', async () => fits(await mapView(page), every))
  const first = await mapView(page)
  const [[south, west], [north, east]] = every
  assert.ok(
    (north - south) / (first.north - first.south) > 0.4 || (east - west) / (first.east - first.west) > 0.4,
    'zoomed in on the vehicles, not out',
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
  const map = await page.locator('#map').boundingBox()
  assert.ok(map)
  // The vehicle drives on between reading where it is and the click landing: on a loaded machine
  // that can be past its edge, so a missed click is aimed again, as a user would.
  await until(
    `a click on ${name} selects it`,
    async () => {
      const point = await markerPoint(page, name)
      assert.ok(point, `${name} is still on the map`)
      await page.mouse.click(map.x + point.x, map.y + point.y)
      return page
        .locator('.vehicle.is-selected')
        .waitFor({ timeout: 2_000 })
        .then(
          () => true,
          () => false,
        )
    },
    30_000,
  )
  await until('the trail is drawn', async () => (await trailPoints(page)) >= 2)
  await mapSettled(page)

  // The click focused the map, without the keyboard focus ring.
  const focus = () =>
    page.evaluate<{ focused: boolean; outline: string }>(`(() => {
      const map = document.getElementById('map')
      return { focused: document.activeElement === map, outline: getComputedStyle(map).outlineStyle }
    })()`)
  assert.deepEqual(await focus(), { focused: true, outline: 'none' })

  await screenshot(page, 'fleet.png')

  // Reached with the keyboard (after the header), the map shows its focus ring.
  await page.getByRole('button', { name: 'Sign out' }).focus()
  await page.keyboard.press('Tab')
  assert.deepEqual(await focus(), { focused: true, outline: 'solid' })

  assert.equal(session.tileRequests, tilesAsked, 'no tile requested once tiles were found offline')
  assert.deepEqual(problems, [])
})

test('without the road drawing, the first view shows the vehicles of the first snapshot', async (t) => {
  const { page, problems } = await openApp(t, DESKTOP, { blockRoads: true })
  // The vehicles have moved a little since the page's own snapshot.
  const area = areaOf(await vehicles())
  await until('the map shows every vehicle', async () => fits(await mapView(page), area))
  assert.equal(await page.locator('.leaflet-roads-pane canvas').count(), 0, 'no road drawing')
  assert.deepEqual(problems, [])
})

test('on a phone, the list shows more rows and the credits fit on one line', async (t) => {
  const { page, problems } = await openApp(t, PHONE)
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

  // The header fits: the account is a menu behind the avatar.
  const topbar = await page.evaluate<{ scroll: number; client: number }>(`(() => {
    const bar = document.querySelector('.topbar')
    return { scroll: bar.scrollWidth, client: bar.clientWidth }
  })()`)
  assert.ok(topbar.scroll <= topbar.client, `the header fits (${topbar.scroll} > ${topbar.client})`)
  const signOut = page.getByRole('button', { name: 'Sign out' })
  assert.equal(await signOut.isVisible(), false)
  await page.getByRole('button', { name: 'Account: admin, Admin' }).click()
  await signOut.waitFor()
  assert.equal(await page.getByRole('link', { name: 'Users' }).isVisible(), true)
  await screenshot(page, 'fleet-phone-menu.png')
  await page.keyboard.press('Escape')
  await signOut.waitFor({ state: 'hidden' })
  assert.deepEqual(problems, [])
})

/** Console errors the browser logs for refused requests (the statuses a test provokes). */
const unexpected = (problems: string[], statuses = [401, 429]) =>
  problems.filter((problem) => !statuses.some((status) => problem.includes(`status of ${status}`)))

test('opens on the login page; a wrong password is refused and the page stays', async (t) => {
  const { page, problems } = await newPage(t, DESKTOP)
  await page.goto(system.url)
  const form = page.locator('#login-form')
  await form.waitFor()
  assert.equal(await page.getByRole('heading', { name: 'Sign in to Convoy' }).isVisible(), true)
  assert.equal(await page.locator('#account').isVisible(), false, 'nobody is signed in')
  assert.equal(await page.locator('.topbar-status').isVisible(), false)
  assert.equal(await page.locator('#map').isVisible(), false)
  // The keyboard starts in the username field.
  assert.equal(await page.evaluate('document.activeElement.id'), 'login-username')
  await screenshot(page, 'login.png')

  const refused = page.waitForResponse('**/api/auth/login')
  await signIn(page, { username: 'admin', password: 'not the password' })
  assert.equal((await refused).status(), 401)
  const error = page.getByRole('alert')
  await error.filter({ hasText: 'Wrong username or password.' }).waitFor()
  assert.equal(await form.isVisible(), true, 'still on the login page')
  assert.equal(await page.evaluate('document.activeElement.id'), 'login-password', 'ready for another try')
  assert.equal(await stored(page), null)
  await screenshot(page, 'login-error.png')
  assert.deepEqual(unexpected(problems), [])
})

test('too many failed attempts say how long to wait', async (t) => {
  const username = 'locked-out'
  // Five failures for one name reach its ceiling here (LOGIN_MAX_FAILURES_PER_USER is 5 in this
  // system): refused to everyone for the rest of the window.
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(new URL('/api/auth/login', system.url), {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${username}:wrong password`)}`, 'x-requested-with': 'fetch' },
    })
    assert.equal(response.status, 401)
  }
  const { page, problems } = await newPage(t, PHONE)
  await page.goto(system.url)
  await signIn(page, { username, password: 'wrong password' })
  await page
    .getByRole('alert')
    .filter({ hasText: /^Too many sign-in attempts\. Try again in 1[45] minutes\.$/ })
    .waitFor()
  await screenshot(page, 'login-phone-locked.png')
  assert.deepEqual(unexpected(problems), [])
})

test('signing in shows the fleet; a reload keeps the session; signing out ends it', async (t) => {
  const { page, problems } = await openApp(t, DESKTOP)
  const account = page.locator('#account')
  assert.equal(await account.locator('.account-name').textContent(), 'admin')
  assert.equal(await account.locator('.account-role').textContent(), 'Admin')
  assert.equal(await page.getByRole('link', { name: 'Users' }).isVisible(), true, 'admins see Users')

  // A reload: still signed in, the fleet live again, no login form.
  const before = await stored(page)
  assert.ok(before, 'the session is kept')
  await page.reload()
  await fleetShown(page)
  assert.equal(await page.locator('#login').isVisible(), false)
  assert.equal(await account.locator('.account-name').textContent(), 'admin')

  // Another tab of the same browser shares the session.
  const otherTab = await page.context().newPage()
  await otherTab.goto(system.url)
  await fleetShown(otherTab)
  assert.equal(await otherTab.locator('#login').isVisible(), false)

  // Sign out: back to the login page, and the session is gone here and on the server.
  const loggedOut = page.waitForResponse('**/api/auth/logout')
  await page.getByRole('button', { name: 'Sign out' }).click()
  assert.equal((await loggedOut).status(), 204)
  await page.locator('#login-form').waitFor()
  await page.locator('#login-note').filter({ hasText: 'You have signed out.' }).waitFor()
  assert.equal(await page.locator('#map').isVisible(), false)
  assert.equal(await account.isVisible(), false)
  assert.equal(await stored(page), null, 'the browser forgot the tokens')
  const refresh = await fetch(new URL('/api/auth/refresh', system.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: before.refreshToken }),
  })
  assert.equal(refresh.status, 401, 'the refresh token is revoked')
  // The other tab follows.
  await otherTab.locator('#login-form').waitFor()
  assert.equal(await otherTab.locator('#map').isVisible(), false)
  await page.reload()
  await page.locator('#login-form').waitFor()
  assert.equal(await page.locator('#map').isVisible(), false, 'a reload does not sign back in')
  assert.deepEqual(problems, [])
})

test('an admin adds a viewer in the user admin; the viewer sees the fleet but not the user admin', async (t) => {
  const { page, problems } = await openApp(t, DESKTOP)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor()
  assert.equal(new URL(page.url()).hash, '#/users')
  const row = (name: string) => page.locator(`tr[data-username="${name}"]`)
  await row('admin').waitFor()
  assert.equal(await row('admin').locator('.you-badge').textContent(), 'you')
  assert.equal(await page.locator('#map').isVisible(), false)

  // The last enabled admin cannot be demoted: the server's words, and the role stays.
  const listError = page.locator('.card-flush [role="alert"]')
  await page.getByLabel('Role of admin').selectOption('viewer')
  await listError.filter({ hasText: 'At least one enabled admin must remain.' }).waitFor()
  assert.equal(await page.getByLabel('Role of admin').inputValue(), 'admin')

  // Add a viewer.
  const create = page.locator('#new-user')
  const createError = page.locator('[data-field="create-error"]')
  const addUser = async (username: string, password: string, role: string) => {
    await create.getByLabel('Username').fill(username)
    await create.getByLabel('Password').fill(password)
    await create.getByLabel('Role').selectOption(role)
    await create.getByRole('button', { name: 'Add user' }).click()
  }
  await addUser('Vera', 'vera password', 'viewer')
  await row('vera').waitFor()
  await page.getByRole('status').filter({ hasText: 'Added vera as a viewer.' }).waitFor()
  assert.equal(await page.getByLabel('Role of vera').inputValue(), 'viewer')
  assert.equal(await row('vera').locator('.status-badge').textContent(), 'Enabled')
  assert.equal(await create.getByLabel('Username').inputValue(), '', 'the form is ready for the next one')
  // A taken name and a bad one: the server's words.
  await addUser('vera', 'another password', 'dispatcher')
  await createError.filter({ hasText: 'A user named "vera" already exists.' }).waitFor()
  await addUser('no spaces allowed', 'another password', 'viewer')
  await createError.filter({ hasText: /^A username is 1–64 letters/ }).waitFor()
  await addUser('paula', 'Password1', 'viewer')
  await createError
    .filter({ hasText: 'It is one of the most common passwords, which are guessed first.' })
    .waitFor()
  await screenshot(page, 'users.png')

  // The viewer signs in elsewhere: the fleet, but no Users.
  const viewer = await openApp(t, DESKTOP, { user: { username: 'vera', password: 'vera password' } })
  assert.equal(await viewer.page.locator('#account .account-role').textContent(), 'Viewer')
  assert.equal(await viewer.page.getByRole('link', { name: 'Users' }).count(), 0)
  assert.equal(await viewer.page.locator('.account-nav').isVisible(), false)
  await viewer.page.goto(new URL('/#/users', system.url).href)
  await fleetShown(viewer.page)
  assert.equal(await viewer.page.locator('#users').isVisible(), false, 'no user admin for a viewer')
  assert.equal(new URL(viewer.page.url()).hash, '#/')
  assert.deepEqual(viewer.problems, [])

  // Disable, enable, a new password (the dialog refuses a short one), then delete after confirming.
  await page.getByRole('button', { name: 'Disable vera' }).click()
  await row('vera').locator('.status-badge', { hasText: 'Disabled' }).waitFor()
  await page.getByRole('button', { name: 'Enable vera' }).click()
  await row('vera').locator('.status-badge', { hasText: 'Enabled' }).waitFor()

  await page.getByRole('button', { name: 'Reset password of vera' }).click()
  const passwordDialog = page.getByRole('dialog', { name: 'New password for vera' })
  await passwordDialog.getByLabel('New password').fill('short')
  await passwordDialog.getByRole('button', { name: 'Set password' }).click()
  assert.equal(await passwordDialog.isVisible(), true, 'too short: the browser says so, the dialog stays')
  await passwordDialog.getByLabel('New password').fill('a new vera password')
  await passwordDialog.getByRole('button', { name: 'Set password' }).click()
  await page.getByRole('status').filter({ hasText: 'New password set for vera.' }).waitFor()
  assert.equal(await passwordDialog.isVisible(), false)
  await login(system.url, 'vera', 'a new vera password')

  const deleteDialog = page.getByRole('dialog', { name: 'Delete vera?' })
  await page.getByRole('button', { name: 'Delete vera' }).click()
  await deleteDialog.getByRole('button', { name: 'Cancel' }).click()
  assert.equal(await row('vera').count(), 1, 'cancel keeps the user')
  await page.getByRole('button', { name: 'Delete vera' }).click()
  await screenshot(page, 'users-delete.png')
  await deleteDialog.getByRole('button', { name: 'Delete user' }).click()
  await row('vera').waitFor({ state: 'detached' })
  await page.getByRole('status').filter({ hasText: 'Deleted vera.' }).waitFor()

  // Back to the fleet from the header.
  await page.getByRole('link', { name: 'Fleet' }).click()
  await page.locator('#map').waitFor()
  assert.equal(await page.locator('#users').isVisible(), false)
  assert.deepEqual(unexpected(problems, [400, 409]), [])
})

test('a user changes their own password from the account menu; their other sessions end, this one goes on', async (t) => {
  const admin = await login(system.url)
  const created = await fetch(`${system.url}/api/auth/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'cora', password: 'cora first phrase', role: 'dispatcher' }),
  })
  assert.equal(created.status, 201)
  const cora = { username: 'cora', password: 'cora first phrase' }
  const here = await openApp(t, DESKTOP, { user: cora })
  const elsewhere = await openApp(t, DESKTOP, { user: cora })
  const { page } = here

  await page.getByRole('button', { name: 'Change password' }).click()
  const dialog = page.getByRole('dialog', { name: 'Change your password' })
  const error = dialog.getByRole('alert')
  const change = async (current: string, next: string) => {
    await dialog.getByLabel('Current password').fill(current)
    await dialog.getByLabel('New password').fill(next)
    await dialog.getByRole('button', { name: 'Change password' }).click()
  }
  await change('not my password', 'cora second phrase')
  await error.filter({ hasText: 'The current password is not right.' }).waitFor()
  await change('cora first phrase', 'password')
  await error
    .filter({ hasText: 'It is one of the most common passwords, which are guessed first.' })
    .waitFor()
  await screenshot(page, 'own-password.png')
  await change('cora first phrase', 'cora second phrase')
  await page.getByText('Your password is changed. You were signed out everywhere else.').waitFor()
  assert.equal(await dialog.isVisible(), false)

  // The other browser is signed out; this one goes on with the fresh session.
  await elsewhere.page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 15_000 })
  await page.reload()
  await fleetShown(page)
  await signIn(elsewhere.page, { username: 'cora', password: 'cora second phrase' })
  await fleetShown(elsewhere.page)
  assert.deepEqual(unexpected(here.problems, [400, 403]), [])
})

test('the user admin fits a phone', async (t) => {
  const { page, problems } = await openApp(t, PHONE)
  await page.goto(new URL('/#/users', system.url).href)
  await page.locator('tr[data-username="admin"]').waitFor()
  const width = await page.evaluate<number>('document.getElementById("users").scrollWidth')
  assert.ok(width <= PHONE.width, `no sideways scrolling (${width}px wide)`)
  await screenshot(page, 'users-phone.png')
  assert.deepEqual(problems, [])
})

test('the access token is renewed silently, and the live feed gets the new one on the same socket', async (t) => {
  const { page, problems } = await newPage(t, DESKTOP)
  // The browser's clock, fast-forwarded below (the server's runs as usual).
  await page.clock.install()
  const sent: Array<{ socket: number; token?: string }> = []
  let sockets = 0
  let closed = 0
  page.on('websocket', (socket) => {
    const id = ++sockets
    socket.on('framesent', ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type?: string; token?: string }
      if (message.type === 'auth') sent.push({ socket: id, token: message.token })
    })
    socket.on('close', () => closed++)
  })
  await page.goto(system.url)
  await signIn(page, ADMIN)
  await fleetShown(page)
  const first = await stored(page)
  assert.ok(first)
  assert.deepEqual(sent, [{ socket: 1, token: first.accessToken }], 'the feed starts with the token')

  // 12 minutes later (past 75% of the 15-minute token): renewed without a sound.
  const renewed = page.waitForResponse('**/api/auth/refresh')
  await page.clock.fastForward('12:00')
  assert.equal((await renewed).status(), 200)
  await until(
    'the renewed token is stored',
    async () => (await stored(page))?.accessToken !== first.accessToken,
  )
  const second = await stored(page)
  assert.ok(second && second.refreshToken !== first.refreshToken)
  await until('the feed was given the new token', async () => sent.length === 2)
  assert.deepEqual(sent[1], { socket: 1, token: second.accessToken })
  assert.equal(closed, 0, 'on the same connection')
  assert.equal(await page.locator('#login').isVisible(), false)

  // The API calls use the new token: selecting a vehicle loads its trail.
  const history = page.waitForRequest('**/api/vehicles/*/history*')
  await page.locator('.vehicle button').first().click()
  assert.equal((await history).headers().authorization, `Bearer ${second.accessToken}`)
  assert.deepEqual(problems, [])
})

test('a refused token is renewed once, for the feed and the API alike; a refused renewal shows the login page', async (t) => {
  const { page, problems } = await openApp(t, DESKTOP)
  const refreshes: number[] = []
  page.on('response', (response) => {
    if (response.url().endsWith('/api/auth/refresh')) refreshes.push(response.status())
  })
  let sockets = 0
  page.on('websocket', () => sockets++)

  // An access token the server does not accept (as if it expired while the laptop slept).
  await page.evaluate(`(() => {
    const session = JSON.parse(localStorage.getItem('${SESSION_KEY}'))
    localStorage.setItem('${SESSION_KEY}', JSON.stringify({ ...session, accessToken: 'not-a-token' }))
  })()`)
  await page.reload()
  await fleetShown(page)
  assert.deepEqual(refreshes, [200], 'one renewal for the refused feed and the refused snapshot')
  assert.ok(sockets >= 2, 'the feed connected again after the 4401')
  assert.notEqual((await stored(page))?.accessToken, 'not-a-token')

  // Both tokens refused (the session was revoked): the login page, the name filled in.
  await page.evaluate(`(() => {
    const session = JSON.parse(localStorage.getItem('${SESSION_KEY}'))
    localStorage.setItem(
      '${SESSION_KEY}',
      JSON.stringify({ ...session, accessToken: 'not-a-token', refreshToken: 'not-a-refresh-token' }),
    )
  })()`)
  await page.reload()
  await page
    .locator('#login-note')
    .filter({ hasText: 'Your session has ended. Please sign in again.' })
    .waitFor()
  assert.equal(await page.locator('#login-username').inputValue(), 'admin')
  assert.equal(await page.evaluate('document.activeElement.id'), 'login-password')
  assert.equal(await stored(page), null)
  assert.deepEqual(unexpected(problems), [])
})
