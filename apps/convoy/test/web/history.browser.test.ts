// A vehicle's history and the geofences, in headless Chromium on the embedded system: a scripted
// journey (drive, stop ten minutes, drive) published to the broker comes out as two trips and one
// stop, its replay ends where its history ends and plays, the trips download as CSV; a geofence
// drawn on the map makes one enter and one exit as a van drives through it, listed in the events
// panel and emailed once to the admin who asked for fleet alerts by email.
// Needs a build first: `npm run build -w @convoy/web`. Chromium: /usr/bin/chromium or CHROMIUM_PATH.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { positionReported, type VehicleHistory } from '@convoy/contracts'
import { connectBroker, journaledBrokerUrl, type Broker } from '@convoy/platform/messaging'
import { eventually, testLogger } from '@convoy/platform/testing'
import { startEmbedded } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser } from 'playwright-core'
import { DESKTOP, mapSettled, openAppAs } from './app-page.ts'
import { launchBrowser, until } from './chromium.ts'

const NAME = 'Scripted Van'
/** 10 m a second: 36 km/h. */
const STEP_DEGREES = 10 / 111_195
const MINUTE = 60_000

let dataDir: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser
let broker: Broker
/** The journey's reports, oldest first. */
let journey: Array<{ vehicle: string; lat: number; lng: number; timestamp: string }>

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-history-'))
  // No simulated vehicles: the scripted one alone.
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: {
      LOG_LEVEL: 'warn',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      VEHICLES: '0',
      // Whom to email is read for each alert: the admin opts in a moment before the geofence's
      // alerts, and the 5 s a read is kept by default could still hold the list without them.
      ALERT_RECIPIENTS_CACHE_MS: '0',
    },
  })
  // The embedded broker is in this process: the same URL reaches it.
  broker = connectBroker({ url: journaledBrokerUrl('convoy', join(dataDir, 'broker')), log: testLogger() })

  // Forty minutes ago: ten minutes north at 36 km/h, ten minutes parked (a report every 10 s),
  // ten minutes east; the last report ten minutes ago.
  const start = Math.floor((Date.now() - 40 * MINUTE) / 1000) * 1000
  const at = (ms: number, lat: number, lng: number) => ({
    vehicle: NAME,
    lat,
    lng,
    timestamp: new Date(start + ms).toISOString(),
  })
  const north = Array.from({ length: 601 }, (_, i) => at(i * 1000, 53.38 + i * STEP_DEGREES, -1.47))
  const parked = north.at(-1)!
  const stay = Array.from({ length: 60 }, (_, i) =>
    at(10 * MINUTE + (i + 1) * 10_000, parked.lat, parked.lng),
  )
  const lngStep = STEP_DEGREES / Math.cos((parked.lat * Math.PI) / 180)
  const east = Array.from({ length: 600 }, (_, i) =>
    at(20 * MINUTE + (i + 1) * 1000, parked.lat, parked.lng + (i + 1) * lngStep),
  )
  journey = [...north, ...stay, ...east]
  for (const report of journey)
    await broker.publish(positionReported, report, { messageId: `${report.vehicle}@${report.timestamp}` })

  const token = await login(system.url)
  const last = journey.at(-1)!
  await eventually(async () => {
    const query = new URLSearchParams({ from: journey[0]!.timestamp, to: last.timestamp, limit: '10000' })
    const response = await fetch(
      `${system.url}/api/vehicles/${encodeURIComponent(NAME)}/history?${query.toString()}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    )
    const body = (await response.json()) as VehicleHistory
    return body.positions?.length === journey.length
  }, 'the tracker stored the whole journey')
})

after(async () => {
  await broker?.close()
  await browser?.close()
  await system?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

test('a scripted journey is two trips and one stop; its replay ends where its history ends, and plays', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP, { vehicles: 1 })
  await page.locator(`.vehicle[data-name="${NAME}"] button`).click()
  await page.getByRole('button', { name: 'History' }).click()
  const panel = page.getByRole('region', { name: `History of ${NAME}` })
  await panel.getByRole('button', { name: 'Last hour' }).and(page.locator('[aria-pressed="true"]')).waitFor()

  // Two trips and one stop of about ten minutes.
  await panel.getByRole('tab', { name: '2 trips' }).waitFor({ timeout: 15_000 })
  assert.equal(await panel.locator('tr.trip').count(), 2)
  const distances = await panel.locator('tr.trip td:nth-child(3)').allInnerTexts()
  assert.deepEqual(distances, ['6.0 km', '6.0 km'], 'ten minutes at 36 km/h each')
  await panel.getByRole('tab', { name: '1 stop' }).click()
  assert.equal(await panel.locator('tr.stop').count(), 1)
  assert.equal(await panel.locator('tr.stop td:nth-child(3)').innerText(), '10 min')

  // The whole route is on the map, above the card: its start, its stop and its end.
  await mapSettled(page)
  const cardTop = (await panel.boundingBox())!.y - (await page.locator('#map').boundingBox())!.y
  const width = (await page.locator('#map').boundingBox())!.width
  for (const place of [journey[0]!, journey[601]!, journey.at(-1)!]) {
    const { x, y } = await page.evaluate<{ x: number; y: number }>(
      `window.convoy.pointAt(${place.lat}, ${place.lng})`,
    )
    assert.ok(
      y > 0 && y < cardTop && x > 0 && x < width,
      `${place.timestamp} at ${x}, ${y}: above ${cardTop}`,
    )
  }

  // The stop, chosen from the keyboard: the replay goes to its arrival, within the stop's 50 m of
  // where the van parked.
  const parkedAt = journey[600]!
  await panel.getByRole('button', { name: /^Go to the stop of / }).press('Enter')
  await until('the cursor is where the van parked', async () => {
    const cursor = await page.evaluate<{ lat: number; lng: number } | null>('window.convoy.replayCursor()')
    return (
      cursor !== null && Math.abs(cursor.lat - parkedAt.lat) * 111_195 <= 50 && cursor.lng === parkedAt.lng
    )
  })

  // The server reduced the straight lines: it says so.
  assert.match(
    await panel.locator('.history-status').innerText(),
    /^\d+ of 1,261 positions drawn, within \d+ m/,
  )

  // The end of the replay is the last position stored.
  const slider = panel.getByRole('slider', { name: 'Replay time' })
  await slider.focus()
  await slider.press('End')
  const last = journey.at(-1)!
  await until('the cursor is at the last position', async () => {
    const cursor = await page.evaluate<{ lat: number; lng: number } | null>('window.convoy.replayCursor()')
    return cursor !== null && Math.abs(cursor.lat - last.lat) < 1e-7 && Math.abs(cursor.lng - last.lng) < 1e-7
  })
  assert.equal(
    await slider.getAttribute('aria-valuetext'),
    await page.evaluate<string>(`(() => {
    const format = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' })
    return format.format(new Date(${JSON.stringify(last.timestamp)}))
  })()`),
  )

  // Back to the start, and play at 60×: the cursor moves north.
  await slider.press('Home')
  const first = journey[0]!
  await until('the cursor is at the first position', async () => {
    const cursor = await page.evaluate<{ lat: number } | null>('window.convoy.replayCursor()')
    return cursor !== null && Math.abs(cursor.lat - first.lat) < 1e-7
  })
  await panel.getByLabel('Playback speed').selectOption('60')
  await panel.getByRole('button', { name: 'Play' }).click()
  await until('the replay has driven 500 m', async () => {
    const cursor = await page.evaluate<{ lat: number } | null>('window.convoy.replayCursor()')
    return cursor !== null && cursor.lat - first.lat > 500 / 111_195
  })
  await panel.getByRole('button', { name: 'Pause' }).click()

  // The trips as CSV: a header and two rows.
  const downloading = page.waitForEvent('download')
  await panel.getByRole('button', { name: 'Trips CSV' }).click()
  const download = await downloading
  assert.match(download.suggestedFilename(), /^Scripted Van trips .*\.csv$/)
  const csv = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '')
  assert.equal(csv.trim().split(/\r\n/).length, 3, 'a header and two trips')
  assert.deepEqual(problems, [])
})

test('a range that ends before it starts is refused in words, and nothing is drawn', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP, { vehicles: 1 })
  await page.locator(`.vehicle[data-name="${NAME}"] button`).click()
  await page.getByRole('button', { name: 'History' }).click()
  const panel = page.getByRole('region', { name: `History of ${NAME}` })
  await panel.getByRole('button', { name: 'Custom' }).click()
  await panel.getByRole('textbox', { name: 'From' }).fill('2026-03-02T10:00')
  await panel.getByRole('textbox', { name: 'To' }).fill('2026-03-01T10:00')
  await panel.getByRole('button', { name: 'Show' }).click()
  await panel.getByRole('alert').filter({ hasText: 'The range must end after it starts.' }).waitFor()
  assert.equal(await page.evaluate('window.convoy.replayCursor()'), null)
  await panel.getByRole('button', { name: 'Close the history' }).click()
  await panel.waitFor({ state: 'detached' })
  assert.deepEqual(problems, [])
})

test('a geofence drawn on the map around a track: the vehicle passing through makes one enter and one exit, in the events panel and emailed once', async (t) => {
  const { page, problems } = await openAppAs(browser, system.url, t, DESKTOP, { vehicles: 1 })
  await page.getByRole('button', { name: 'Preferences' }).click()
  const preferences = page.getByRole('dialog', { name: 'Preferences' })
  await preferences.getByLabel(/^Email me fleet alerts/).check()
  await preferences.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Your preferences are saved.').waitFor()
  // A place a little east of the scripted van, in the first view.
  const parked = journey.at(-1)!
  const place = { lat: parked.lat, lng: parked.lng + 0.002 }
  const pixel = (lat: number, lng: number) =>
    page.evaluate<{ x: number; y: number }>(`window.convoy.pointAt(${lat}, ${lng})`)
  const box = (await page.locator('#map').boundingBox())!

  await page.getByRole('tab', { name: 'Geofences' }).click()
  await page.getByRole('button', { name: 'Draw a circle' }).click()
  await page.getByRole('status').filter({ hasText: 'Click the centre on the map' }).waitFor()
  const centre = await pixel(place.lat, place.lng)
  const edge = await pixel(place.lat + 100 / 111_195, place.lng)
  await page.mouse.click(box.x + centre.x, box.y + centre.y)
  await page.mouse.move(box.x + edge.x, box.y + edge.y, { steps: 3 })
  await page.mouse.click(box.x + edge.x, box.y + edge.y)
  await page.getByLabel('Name of the new circle').fill('Test Fence')
  await page.getByRole('button', { name: 'Save geofence' }).click()
  const fence = page.locator('.geofence[data-name="Test Fence"]')
  await fence.waitFor()
  assert.match(await fence.locator('.geofence-meta').innerText(), /^Circle, (9\d|10\d) m radius · by admin$/)

  // A van drives north through it, a report a second for a minute, ending now.
  const now = Math.floor(Date.now() / 1000) * 1000
  for (let i = 0; i <= 60; i++) {
    const report = {
      vehicle: 'Fence Van',
      lat: place.lat + (i - 30) * STEP_DEGREES,
      lng: place.lng,
      timestamp: new Date(now - (60 - i) * 1000).toISOString(),
    }
    await broker.publish(positionReported, report, { messageId: `${report.vehicle}@${report.timestamp}` })
  }

  await page.getByRole('tab', { name: 'Events' }).click()
  const entered = page.locator('.event', { hasText: 'Fence Van entered Test Fence' })
  const left = page.locator('.event', { hasText: 'Fence Van left Test Fence' })
  await until(
    'the panel lists the van entering and leaving',
    async () => (await entered.count()) === 1 && (await left.count()) === 1,
    30_000,
  )
  await page.getByLabel('Events of the vehicle').fill('Fence Van')
  await page.getByLabel('Events of the vehicle').press('Enter')
  await until("only the van's events are listed", async () => (await page.locator('.event').count()) === 2)
  await entered.getByRole('button').click()
  await page.locator('.place-ring').waitFor()

  // The emails: one for each event, told apart from the videos' emails.
  await page.getByRole('link', { name: 'Uploads' }).click()
  const emails = page.locator('.email[data-kind="alert"]')
  await until('both alerts are emailed', async () => (await emails.count()) >= 2, 30_000)
  assert.deepEqual((await emails.locator('.email-subject').allInnerTexts()).sort(), [
    'Fleet alert Fence Van entered Test Fence',
    'Fleet alert Fence Van left Test Fence',
  ])
  assert.equal(await page.locator('.email[data-kind="video"]').count(), 0)
  assert.deepEqual(problems, [])
})
