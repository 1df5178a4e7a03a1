/** What the browser tests of the app share: a page in a fresh context, signing in, the map's state. */
import type { TestContext } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { Bounds } from '@convoy/web/types'
import { ADMIN, until } from './chromium.ts'

export type Viewport = { width: number; height: number }
export const DESKTOP: Viewport = { width: 1280, height: 800 }
/** The recorded vehicles of the simulator. */
export const VEHICLES = 38

export interface AppPage {
  page: Page
  /** Page errors and console errors, but for the refused requests. */
  problems: string[]
  /** How many map tiles the page asked for. */
  tileRequests: number
}

/** A page in a fresh browser context (its own storage), with map tiles (and optionally the roads) refused. */
export async function newAppPage(
  browser: Browser,
  t: TestContext,
  viewport: Viewport,
  { blockRoads = false } = {},
): Promise<AppPage> {
  const context = await browser.newContext({ viewport })
  t.after(() => context.close())
  const page = await context.newPage()
  const session: AppPage = { page, problems: [], tileRequests: 0 }
  // Map tiles come from the internet: refuse them, so the test sees the offline map every time.
  await context.route('https://tile.openstreetmap.org/**', (route) => {
    session.tileRequests++
    return route.abort('internetdisconnected')
  })
  if (blockRoads)
    await context.route('**/assets/roads-*.json', (route) => route.abort('internetdisconnected'))
  const watch = (page: Page) => {
    page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('net::ERR_INTERNET_DISCONNECTED')) {
        session.problems.push(`console: ${message.text()}`)
      }
    })
  }
  watch(page)
  context.on('page', watch)
  return session
}

/** Fills in the login form and submits it with the keyboard. */
export async function signIn(page: Page, { username, password }: { username: string; password: string }) {
  const form = page.locator('#login-form')
  await form.getByLabel('Username').fill(username)
  await form.getByLabel('Password').fill(password)
  await form.getByLabel('Password').press('Enter')
}

/** Waits until the fleet is on screen: the feed live, the offline map, every vehicle listed. */
export async function fleetShown(page: Page, vehicles = VEHICLES): Promise<void> {
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 })
  await page.locator('.map--offline').waitFor({ timeout: 15_000 })
  await until(
    `all ${vehicles} vehicles are listed`,
    async () => (await page.locator('.vehicle').count()) === vehicles,
  )
}

/** Opens the app at `url` in a fresh browser context and signs in (as the admin unless told otherwise). */
export async function openAppAs(
  browser: Browser,
  url: string,
  t: TestContext,
  viewport: Viewport,
  { blockRoads = false, user = ADMIN, vehicles = VEHICLES } = {},
): Promise<AppPage> {
  const session = await newAppPage(browser, t, viewport, { blockRoads })
  await session.page.goto(url)
  await signIn(session.page, user)
  await fleetShown(session.page, vehicles)
  return session
}

/** Where the app drew a vehicle on its (canvas) map, in pixels from the map's corner; null if it did not. */
export const markerPoint = (page: Page, name: string) =>
  page.evaluate<{ x: number; y: number } | null>(`window.convoy.pointOf(${JSON.stringify(name)})`)

export interface View {
  south: number
  west: number
  north: number
  east: number
  zoom: number
}
export const mapView = (page: Page) => page.evaluate<View>('window.convoy.view()')

/** Waits until the map has stopped moving (fly-to animations included). */
export const mapSettled = (page: Page) => page.locator('#map:not([data-moving])').waitFor()

/** Whether `view` shows all of `[[south, west], [north, east]]`, centred on it (within `slack` of the view). */
export function fits(view: View, [[south, west], [north, east]]: Bounds, slack = 0.05): boolean {
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

/** The area of `vehicles`, shrunk by `margin` degrees on every side (they move a little meanwhile). */
export function areaOf(vehicles: ReadonlyArray<{ lat: number; lng: number }>, margin = 0.01): Bounds {
  const lats = vehicles.map((vehicle) => vehicle.lat)
  const lngs = vehicles.map((vehicle) => vehicle.lng)
  return [
    [Math.min(...lats) + margin, Math.min(...lngs) + margin],
    [Math.max(...lats) - margin, Math.max(...lngs) - margin],
  ]
}
