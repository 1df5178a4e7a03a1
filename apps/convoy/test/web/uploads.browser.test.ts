// End to end: uploads, live job updates, notifications and emails, on the whole system (embedded:
// media, converter and notification included) serving the built app, driven by headless Chromium.
// Needs a build first (`npm run build -w @convoy/web`), Chromium (/usr/bin/chromium or
// CHROMIUM_PATH) and ffmpeg. Screenshots go to /tmp/convoy-uploads*.png.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { makeTestVideo } from '@convoy/platform/testing'
import { startEmbedded } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import type { Browser, Page } from 'playwright-core'
import type { Media } from '@convoy/contracts'
import { ADMIN, launchBrowser, PHONE, until } from './chromium.ts'

const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? '/tmp'
const DESKTOP = { width: 1280, height: 900 }
/** Media's size limit here: small, so that a test can go over it. */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024

let dataDir: string
let files: string
let system: Awaited<ReturnType<typeof startEmbedded>>
let browser: Browser

before(async () => {
  browser = await launchBrowser()
  dataDir = await mkdtemp(join(tmpdir(), 'convoy-uploads-'))
  files = await mkdtemp(join(tmpdir(), 'convoy-upload-files-'))
  // A short video (quick to convert), a longer one (to watch its upload), one without sound, and
  // things that are not videos.
  await Promise.all([
    makeTestVideo(join(files, 'clip.mp4'), { seconds: 2 }),
    makeTestVideo(join(files, 'long drive.mp4'), { seconds: 8, width: 640, height: 480 }),
    makeTestVideo(join(files, 'silent.mp4'), { seconds: 2, audio: false }),
    writeFile(join(files, 'notes.mp4'), 'Shopping list: milk, eggs.\n'),
    writeFile(join(files, 'huge.mp4'), Buffer.alloc(MAX_UPLOAD_BYTES + 16 * 1024, 1)),
  ])
  system = await startEmbedded({
    dataDir,
    port: 0,
    env: {
      LOG_LEVEL: 'warn',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    },
  })
})

after(async () => {
  await browser?.close()
  await system?.close()
  for (const dir of [dataDir, files]) if (dir) await rm(dir, { recursive: true, force: true })
})

interface Session {
  page: Page
  /** Page errors and console errors, but for the refused requests a test provokes. */
  problems: string[]
  /** The statuses of the `media` frames the live feed brought, by file name. */
  frames: Map<string, string[]>
}

/** Signs in through the login page in a fresh browser context, then opens `#/uploads`. */
async function openUploads(
  t: TestContext,
  viewport: { width: number; height: number },
  user = ADMIN,
): Promise<Session> {
  const context = await browser.newContext({ viewport, acceptDownloads: true })
  t.after(() => context.close())
  // Map tiles come from the internet: refused, as in browser.test.ts.
  await context.route('https://tile.openstreetmap.org/**', (route) => route.abort('internetdisconnected'))
  const page = await context.newPage()
  const session: Session = { page, problems: [], frames: new Map() }
  page.on('pageerror', (error) => session.problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('net::ERR_INTERNET_DISCONNECTED'))
      session.problems.push(`console: ${message.text()}`)
  })
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { type: string; media?: Media }
      if (frame.type !== 'media' || !frame.media) return
      const statuses = session.frames.get(frame.media.filename) ?? []
      session.frames.set(frame.media.filename, [...statuses, frame.media.status])
    }),
  )
  await page.goto(system.url)
  const form = page.locator('#login-form')
  await form.getByLabel('Username').fill(user.username)
  await form.getByLabel('Password').fill(user.password)
  await form.getByLabel('Password').press('Enter')
  await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 })
  await page.goto(new URL('/#/uploads', system.url).href)
  await page.getByRole('heading', { name: 'Uploads', exact: true }).waitFor()
  return session
}

/** Console errors but those of the refused requests (the browser logs every failed response). */
const unexpected = (problems: string[], statuses: number[] = []) =>
  problems.filter((problem) => !statuses.some((status) => problem.includes(`status of ${status}`)))

const row = (page: Page, filename: string) =>
  page.locator('.media-row', { has: page.locator('.media-name', { hasText: new RegExp(`^${filename}$`) }) })

/** Slows the browser's uploads down (bytes per second; -1 for full speed), to watch one progress. */
async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  })
}

/** How far the first upload in the queue is, in percent (0 while none or while it is checked). */
const uploadPercent = (page: Page) =>
  page.evaluate<number>(`Number(document.querySelector('.upload-bar')?.value ?? 0)`)

/** The caller's jobs as the API has them. */
async function jobs(): Promise<Media[]> {
  const token = await login(system.url)
  const response = await fetch(new URL('/api/media', system.url), {
    headers: { authorization: `Bearer ${token}` },
  })
  return (await response.json()) as Media[]
}

/** A screenshot with transitions finished (a toast sliding in, the zone lighting up). */
const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, name), animations: 'disabled' })

/** An MP3 starts with an ID3 tag or an MPEG audio frame (11 sync bits set). */
const isMp3 = (bytes: Buffer) =>
  bytes.subarray(0, 3).toString('latin1') === 'ID3' ||
  (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)

test('an admin uploads a video, sees it converted live, is notified, downloads the MP3, reads the email and deletes the job', async (t) => {
  const { page, problems, frames } = await openUploads(t, DESKTOP)
  // Reached from the header too.
  assert.equal(await page.getByRole('link', { name: 'Uploads' }).getAttribute('aria-current'), 'page')
  await page.locator('.media-list:empty').waitFor({ state: 'attached' })
  assert.equal(await page.getByText('No videos yet: upload one above.').isVisible(), true)
  // A marker that a reload would wipe: every change below arrives live.
  await page.evaluate('window.notReloaded = true')

  // The upload, slowed down so that its progress can be watched.
  await throttleUploads(page, 64 * 1024)
  await page.getByLabel('Video to upload').setInputFiles(join(files, 'long drive.mp4'))
  const upload = page.locator('.upload', { hasText: 'long drive.mp4' })
  const bar = upload.getByRole('progressbar', { name: 'Uploading long drive.mp4' })
  await bar.waitFor()
  await until('the upload is a fifth done', async () => (await uploadPercent(page)) >= 20)
  assert.match(await upload.locator('.upload-figures').innerText(), /^\d{1,2}% · [\d.]+ of [\d.]+ KB$/)
  assert.equal(
    await upload.getByRole('button', { name: 'Cancel the upload of long drive.mp4' }).isVisible(),
    true,
  )
  await screenshot(page, 'convoy-uploads-progress.png')
  await throttleUploads(page, -1)

  // The job appears, and becomes ready by itself.
  const job = row(page, 'long drive.mp4')
  await job.waitFor()
  await upload.waitFor({ state: 'detached' })
  await job.locator('.status-badge', { hasText: 'Ready' }).waitFor({ timeout: 60_000 })
  assert.match(await job.locator('.media-meta').innerText(), /^2\d\d KB · just now$/)
  assert.deepEqual(frames.get('long drive.mp4')?.at(-1), 'ready', 'ready came as a live frame')
  assert.ok(frames.get('long drive.mp4')?.includes('converting'), 'and converting before it')
  await page.locator('[data-part="announcer"]', { hasText: 'long drive.mp4 is ready to download.' }).waitFor()

  // The notification: a toast, and the bell's count.
  const toast = page.locator('.toast', { hasText: 'Your MP3 of long drive.mp4 is ready' })
  await toast.waitFor()
  const bell = page.locator('.bell-toggle')
  await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor()
  assert.equal(await page.locator('.bell-count').innerText(), '1')
  await screenshot(page, 'convoy-uploads.png')

  // The panel lists it; opened, nothing is unread any more.
  await bell.click()
  const panel = page.getByRole('region', { name: 'Notifications' })
  await panel.getByRole('link', { name: 'Your MP3 of long drive.mp4 is ready' }).waitFor()
  assert.equal(await panel.locator('.bell-item[data-unread]').count(), 1)
  await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor()
  assert.equal(await page.locator('.bell-count').isVisible(), false)
  await screenshot(page, 'convoy-uploads-bell.png')
  await page.keyboard.press('Escape')
  await panel.waitFor({ state: 'hidden' })

  // Download: an MP3, named after the video.
  const downloading = page.waitForEvent('download')
  await job.getByRole('button', { name: 'Download the MP3 of long drive.mp4' }).click()
  const download = await downloading
  assert.equal(download.suggestedFilename(), 'long drive.mp3')
  const mp3 = await readFile(await download.path())
  assert.ok(mp3.length > 10_000, `${mp3.length} bytes of audio`)
  assert.ok(isMp3(mp3), `an MP3 (starts with ${mp3.subarray(0, 4).toString('hex')})`)
  await page.getByRole('status').filter({ hasText: 'Downloaded long drive.mp3.' }).waitFor()

  // The email, once sent.
  const email = page.locator('.email', { hasText: 'Your MP3 of long drive.mp4 is ready' })
  await email
    .locator('.email-meta', { hasText: /^To admin@\S+ · sent just now$/ })
    .waitFor({ timeout: 15_000 })
  await email.locator('summary').click()
  assert.match(await email.locator('.email-text').innerText(), /long drive\.mp4 has been converted to MP3/)

  // A video dropped on the page: a real drop event carrying a file.
  const clip = (await readFile(join(files, 'clip.mp4'))).toString('base64')
  const transfer = await page.evaluateHandle(`(() => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(clip)}), (char) => char.charCodeAt(0))
    const transfer = new DataTransfer()
    transfer.items.add(new File([bytes], 'dropped.mp4', { type: 'video/mp4' }))
    return transfer
  })()`)
  const zone = page.locator('.drop-zone')
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer })
  await zone.dispatchEvent('dragover', { dataTransfer: transfer })
  assert.equal(await zone.getAttribute('data-over'), '', 'the zone lights up')
  await screenshot(page, 'convoy-uploads-drag.png')
  await zone.dispatchEvent('drop', { dataTransfer: transfer })
  assert.equal(await zone.getAttribute('data-over'), null)
  await row(page, 'dropped.mp4').locator('.status-badge', { hasText: 'Ready' }).waitFor({ timeout: 60_000 })
  await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor()

  // Delete, after a confirmation (Cancel keeps the job).
  const dialog = page.getByRole('dialog', { name: 'Delete long drive.mp4?' })
  await job.getByRole('button', { name: 'Delete long drive.mp4' }).click()
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  assert.equal(await job.count(), 1, 'cancel keeps it')
  await job.getByRole('button', { name: 'Delete long drive.mp4' }).click()
  await dialog.getByRole('button', { name: 'Delete video' }).click()
  await job.waitFor({ state: 'detached' })
  await page.getByRole('status').filter({ hasText: 'Deleted long drive.mp4.' }).waitFor()
  assert.deepEqual(
    (await jobs()).map((media) => media.filename),
    ['dropped.mp4'],
  )
  assert.equal(await page.evaluate('window.notReloaded'), true, 'never reloaded')
  assert.deepEqual(unexpected(problems), [])
})

test('an upload can be cancelled; nothing is kept of it', async (t) => {
  const { page, problems } = await openUploads(t, DESKTOP)
  await throttleUploads(page, 16 * 1024)
  await page.getByLabel('Video to upload').setInputFiles(join(files, 'long drive.mp4'))
  const upload = page.locator('.upload', { hasText: 'long drive.mp4' })
  await until('the upload is under way', async () => (await uploadPercent(page)) >= 5)
  await upload.getByRole('button', { name: 'Cancel the upload of long drive.mp4' }).click()
  await upload.waitFor({ state: 'detached' })
  await page
    .locator('[data-part="announcer"]', { hasText: 'The upload of long drive.mp4 was cancelled.' })
    .waitFor()
  await throttleUploads(page, -1)
  assert.equal(await row(page, 'long drive.mp4').count(), 0)
  assert.ok(!(await jobs()).some((media) => media.filename === 'long drive.mp4'), 'no job on the server')
  assert.deepEqual(unexpected(problems), [])
})

test('what cannot be converted says why: no sound, not a video, too large', async (t) => {
  const { page, problems } = await openUploads(t, DESKTOP)
  await page
    .getByLabel('Video to upload')
    .setInputFiles(['silent.mp4', 'notes.mp4', 'huge.mp4'].map((name) => join(files, name)))

  // Refused at once, in the server's words.
  const refused = (name: string) => page.locator('.upload[data-state="failed"]', { hasText: name })
  await refused('notes.mp4')
    .getByRole('alert')
    .filter({ hasText: /^Not a video: .+\.$/ })
    .waitFor()
  await refused('huge.mp4')
    .getByRole('alert')
    .filter({ hasText: 'This video is larger than the limit of 4 MB.' })
    .waitFor()

  // Taken, then failed in the converter: the reason on the row, and a notification.
  const silent = row(page, 'silent.mp4')
  await silent.locator('.status-badge', { hasText: 'Failed' }).waitFor({ timeout: 60_000 })
  assert.equal(await silent.locator('.media-error').innerText(), 'No audio track.')
  assert.equal(await silent.getByRole('button', { name: /^Download/ }).isVisible(), false)
  await page.locator('.toast[data-tone="error"]', { hasText: 'silent.mp4 could not be converted' }).waitFor()
  await page
    .locator('[data-part="announcer"]', { hasText: 'silent.mp4 could not be converted: No audio track.' })
    .waitFor()
  await page
    .locator('.email', { hasText: 'silent.mp4 could not be converted' })
    .locator('.email-meta', { hasText: /sent/ })
    .waitFor({ timeout: 15_000 })
  await screenshot(page, 'convoy-uploads-failed.png')

  // A refused upload stays until dismissed.
  await refused('notes.mp4').getByRole('button', { name: 'Dismiss notes.mp4' }).click()
  await refused('notes.mp4').waitFor({ state: 'detached' })
  assert.deepEqual(unexpected(problems, [413, 415]), [])
})

test('the uploads are for dispatchers and admins; a viewer is told why there is nothing to upload', async (t) => {
  const token = await login(system.url)
  for (const [username, role] of [
    ['dora', 'dispatcher'],
    ['vic', 'viewer'],
  ]) {
    const response = await fetch(new URL('/api/auth/users', system.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `${username} password`, role }),
    })
    assert.equal(response.status, 201)
  }

  // A dispatcher: Fleet and Uploads, no Users; their own (empty) list, and the bell.
  const dispatcher = await openUploads(t, DESKTOP, { username: 'dora', password: 'dora password' })
  const nav = dispatcher.page.getByRole('navigation', { name: 'Pages' })
  assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Fleet', 'Uploads'])
  await dispatcher.page.getByText('No videos yet: upload one above.').waitFor()
  assert.equal(await dispatcher.page.getByRole('button', { name: 'Notifications' }).isVisible(), true)
  assert.deepEqual(unexpected(dispatcher.problems), [])

  // A viewer: no link to the page, and at the address a clear word instead of a redirect.
  const viewer = await openUploads(t, DESKTOP, { username: 'vic', password: 'vic password' })
  const { page } = viewer
  await page.getByRole('heading', { name: 'Viewers cannot upload videos' }).waitFor()
  assert.equal(new URL(page.url()).hash, '#/uploads')
  assert.equal(await page.getByRole('link', { name: 'Uploads' }).isVisible(), false)
  assert.equal(await page.getByRole('button', { name: 'Choose a video' }).isVisible(), false)
  assert.equal(await page.getByRole('button', { name: /^Notifications/ }).isVisible(), false)
  await screenshot(page, 'convoy-uploads-viewer.png')
  await page.getByRole('link', { name: 'Back to the fleet' }).click()
  await page.locator('#map').waitFor()
  assert.deepEqual(unexpected(viewer.problems), [])
})

test('the uploads page fits a phone', async (t) => {
  const { page, problems } = await openUploads(t, PHONE)
  const width = await page.evaluate<number>('document.getElementById("uploads").scrollWidth')
  assert.ok(width <= PHONE.width, `no sideways scrolling (${width}px wide)`)
  const topbar = await page.evaluate<{ scroll: number; client: number }>(`(() => {
    const bar = document.querySelector('.topbar')
    return { scroll: bar.scrollWidth, client: bar.clientWidth }
  })()`)
  assert.ok(topbar.scroll <= topbar.client, `the header fits (${topbar.scroll} > ${topbar.client})`)
  // The keyboard reaches "Choose a video".
  const choose = page.getByRole('button', { name: 'Choose a video' })
  await choose.focus()
  await until('"Choose a video" has the focus', () =>
    page.evaluate<boolean>('document.activeElement?.textContent?.includes("Choose a video") === true'),
  )
  const chooser = page.waitForEvent('filechooser', { timeout: 60_000 })
  await choose.press('Enter')
  await (await chooser).setFiles(join(files, 'clip.mp4'))
  await row(page, 'clip.mp4').locator('.status-badge', { hasText: 'Ready' }).waitFor({ timeout: 60_000 })
  await screenshot(page, 'convoy-uploads-phone.png')
  assert.deepEqual(unexpected(problems), [])
})

test("an admin audits everyone's videos: each with its owner, downloadable, deletable only by its owner", async (t) => {
  const token = await login(system.url)
  const created = await fetch(new URL('/api/auth/users', system.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'otto', password: 'otto password', role: 'dispatcher' }),
  })
  assert.equal(created.status, 201)
  const otto = await openUploads(t, DESKTOP, { username: 'otto', password: 'otto password' })
  await otto.page.getByLabel('Video to upload').setInputFiles(join(files, 'clip.mp4'))
  await row(otto.page, 'clip.mp4').locator('.status-badge', { hasText: 'Ready' }).waitFor({ timeout: 60_000 })
  // Mine / Everyone's is for admins.
  assert.equal(await otto.page.getByRole('group', { name: 'Whose videos' }).count(), 0)

  const admin = await openUploads(t, DESKTOP, ADMIN)
  const { page } = admin
  const whose = page.getByRole('group', { name: 'Whose videos' })
  await whose.getByRole('button', { name: "Everyone's" }).click()
  await page.getByRole('heading', { name: "Everyone's videos" }).waitFor()
  const ottos = page.locator('.media-row', { has: page.locator('.media-owner', { hasText: /^otto$/ }) })
  await ottos.first().waitFor()
  assert.equal(await ottos.first().locator('.media-name').innerText(), 'clip.mp4')
  assert.equal(
    await ottos.first().getByRole('button', { name: 'Download the MP3 of clip.mp4' }).isVisible(),
    true,
  )
  assert.equal(await ottos.first().getByRole('button', { name: 'Delete clip.mp4' }).isVisible(), false)
  const downloading = page.waitForEvent('download')
  await ottos.first().getByRole('button', { name: 'Download the MP3 of clip.mp4' }).click()
  assert.ok(isMp3(await readFile((await (await downloading).path()) ?? '')), 'the MP3 of otto')

  await whose.getByRole('button', { name: 'Mine' }).click()
  await page.getByRole('heading', { name: 'Your videos' }).waitFor()
  assert.equal(await ottos.count(), 0, "otto's videos are not the admin's")
  assert.deepEqual(unexpected(admin.problems), [])
  assert.deepEqual(unexpected(otto.problems), [])
})
