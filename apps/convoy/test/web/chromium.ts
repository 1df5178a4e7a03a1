/** What the browser tests share: the built app, the browser, the first admin, the screen sizes. */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { chromium, type Browser } from 'playwright-core'

/** The web app's build (`npm run build`), beside its server's entry point `src/server/main.ts`. */
export const WEB_DIST = new URL('../../dist/', import.meta.resolve('@convoy/web'))
export const DIST_INDEX = fileURLToPath(new URL('index.html', WEB_DIST))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]
export const ADMIN = { username: 'admin', password: TEST_ADMIN_PASSWORD }
export const PHONE = { width: 390, height: 844 }

/** Headless Chromium, once the app is built; a clear error naming what is missing otherwise. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(DIST_INDEX)) {
    throw new Error(`${DIST_INDEX} is missing: build the app first with \`npm run build -w @convoy/web\``)
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

/** Polls `check` (through the DevTools protocol, which the app's CSP does not stop) until it holds. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
