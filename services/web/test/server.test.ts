import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync } from 'node:zlib'
import { after, before, test } from 'node:test'
import { ConfigError } from '@convoy/platform/config'
import { start } from '../src/server/main.ts'

const INDEX =
  '<!doctype html><title>Convoy</title><script type="module" src="/assets/index-a1b2c3.js"></script>'
const SCRIPT = `console.log(${JSON.stringify('convoy '.repeat(200))})`
const PORTS = { PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1' }
let root: string
let server: Awaited<ReturnType<typeof start>>

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'convoy-web-'))
  const dist = join(root, 'dist')
  await mkdir(join(dist, 'assets'), { recursive: true })
  await writeFile(join(dist, 'index.html'), INDEX)
  await writeFile(join(dist, 'index.html.br'), brotliCompressSync(INDEX))
  await writeFile(join(dist, 'assets', 'index-a1b2c3.js'), SCRIPT)
  await writeFile(join(dist, 'assets', 'index-a1b2c3.js.br'), brotliCompressSync(SCRIPT))
  await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  await writeFile(join(root, 'secret.txt'), 'not for the web')
  server = await start({ ...PORTS, LOG_LEVEL: 'silent', WEB_DIST_DIR: dist })
})

after(async () => {
  await server.close()
  await rm(root, { recursive: true, force: true })
})

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(new URL(path, server.url), { headers })

test('serves index.html at the root, revalidated on every use, with a content security policy', async () => {
  const response = await get('/')
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/)
  assert.equal(response.headers.get('cache-control'), 'no-cache')
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(await response.text(), INDEX)

  // An explicit cache-control, or fetch sends `no-cache`, which asks the server to skip validation.
  const again = await get('/', {
    'if-none-match': response.headers.get('etag') ?? '',
    'cache-control': 'max-age=0',
  })
  assert.equal(again.status, 304)
})

test("the page's compressed twin carries the page's headers: its policy is not lost to a browser taking brotli", async () => {
  const response = await get('/', { 'accept-encoding': 'br' })
  assert.equal(response.headers.get('content-encoding'), 'br')
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  assert.equal(response.headers.get('x-frame-options'), 'DENY')
  assert.equal(response.headers.get('referrer-policy'), 'strict-origin-when-cross-origin')
  assert.equal(await response.text(), INDEX)
})

test('answers the pages of the app with index.html (SPA fallback)', async () => {
  for (const path of ['/vehicles/City%20Truck', '/some/deep/route?x=1']) {
    const response = await get(path)
    assert.equal(response.status, 200, path)
    assert.equal(response.headers.get('cache-control'), 'no-cache')
    assert.equal(await response.text(), INDEX)
  }
})

test('caches hashed assets for a year and other files not at all', async () => {
  const script = await get('/assets/index-a1b2c3.js')
  assert.equal(script.status, 200)
  assert.match(script.headers.get('content-type') ?? '', /javascript/)
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable')
  assert.equal(await script.text(), SCRIPT)

  const icon = await get('/favicon.svg')
  assert.equal(icon.status, 200)
  assert.equal(icon.headers.get('cache-control'), 'no-cache')
})

test('sends the pre-compressed twin of an asset to clients that accept it', async () => {
  const brotli = await get('/assets/index-a1b2c3.js', { 'accept-encoding': 'br, gzip' })
  assert.equal(brotli.headers.get('content-encoding'), 'br')
  assert.match(brotli.headers.get('vary') ?? '', /accept-encoding/i)
  assert.equal(await brotli.text(), SCRIPT)

  const plain = await get('/assets/index-a1b2c3.js', { 'accept-encoding': 'identity' })
  assert.equal(plain.headers.get('content-encoding'), null)
  assert.equal(await plain.text(), SCRIPT)
})

test('a missing asset is a problem+json 404, not the app', async () => {
  const response = await get('/assets/nope.js')
  assert.equal(response.status, 404)
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(response.headers.get('cache-control'), 'no-store')
  const body = (await response.json()) as { status: number; title: string }
  assert.equal(body.status, 404)
  assert.equal(body.title, 'Not Found')
})

test('never serves files outside the dist directory', async () => {
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
    const response = await get(path)
    assert.notEqual(await response.text(), 'not for the web', path)
  }
})

test('is ready when the build is there, and answers health and metrics on its ops port', async () => {
  const ops = (path: string) => fetch(new URL(path, server.opsUrl))
  const ready = await ops('/readyz')
  assert.equal(ready.status, 200)
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { dist: true } })
  assert.equal((await ops('/healthz')).status, 200)
  assert.match(
    await (await ops('/metrics')).text(),
    /http_server_request_duration_seconds_count\{[^}]*route="\/\*"/,
  )
})

test('is not ready without a build', async () => {
  const empty = await start({
    ...PORTS,
    LOG_LEVEL: 'silent',
    WEB_DIST_DIR: join(root, 'missing'),
  })
  try {
    const response = await fetch(new URL('/readyz', empty.opsUrl))
    assert.equal(response.status, 503)
    assert.equal((await fetch(new URL('/', empty.url))).status, 404)
  } finally {
    await empty.close()
  }
})

/** The web server on the same build, with `env` besides: the caller closes it. */
const startWith = (env: Record<string, string>) =>
  start({ ...PORTS, LOG_LEVEL: 'silent', WEB_DIST_DIR: join(root, 'dist'), ...env })
const imgSrc = (response: Response) =>
  /(?:^|; )img-src ([^;]*)/.exec(response.headers.get('content-security-policy') ?? '')?.[1]

test("tells the app OpenStreetMap's tiles and credit by default, revalidated on every use; the page may load them", async () => {
  const response = await get('/config.json')
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(response.headers.get('cache-control'), 'no-cache')
  assert.deepEqual(await response.json(), {
    tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    tileAttribution:
      '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a><span class="attr-long"> contributors</span>',
  })
  assert.equal(imgSrc(await get('/')), "'self' data: https://tile.openstreetmap.org")
})

test('tells the app the tiles of TILE_URL and TILE_ATTRIBUTION, and lets the page load from their origin alone', async () => {
  const tileUrl = 'https://{s}.tiles.example.net:8443/osm/{z}/{x}/{-y}{r}.png?style=light'
  const tileAttribution = 'Map © <a href="https://tiles.example.net/">Example</a>'
  const server = await startWith({ TILE_URL: tileUrl, TILE_ATTRIBUTION: tileAttribution })
  try {
    const config = await fetch(new URL('/config.json', server.url))
    assert.deepEqual(await config.json(), { tileUrl, tileAttribution })
    assert.equal(imgSrc(await fetch(server.url)), "'self' data: https://*.tiles.example.net:8443")
  } finally {
    await server.close()
  }
})

test('an empty TILE_URL means no tiles at all: none to load, none to credit', async () => {
  const server = await startWith({ TILE_URL: '' })
  try {
    const config = await fetch(new URL('/config.json', server.url))
    assert.deepEqual(await config.json(), { tileUrl: null, tileAttribution: '' })
    assert.equal(imgSrc(await fetch(server.url)), "'self' data:")
  } finally {
    await server.close()
  }
})

test('a TILE_URL that is not an http(s) URL template with {z}, {x} and {y} stops the start, saying why', async () => {
  for (const [url, why] of [
    ['tile.openstreetmap.org/{z}/{x}/{y}.png', /not a URL/],
    ['ftp://tiles.example.net/{z}/{x}/{y}.png', /ftp: is not http or https/],
    ['javascript:alert(1)//{z}/{x}/{y}', /javascript: is not http or https/],
    ['https://tiles.example.net/{z}/{x}.png', /\{y\} is missing/],
    ['https://tiles.example.net/{x}/{y}.png', /\{z\} is missing/],
    ['https://tiles.example.net/{z}/{y}.png', /\{x\} is missing/],
    ['https://tiles.example.net/{z}/{x}/{y}.png?key={apikey}', /\{apikey\} is not one of/],
    ['https://tiles.{s}.example.net/{z}/{x}/{y}.png', /only \{s\} may stand in the host/],
    ['https://{z}.example.net/{z}/{x}/{y}.png', /only \{s\} may stand in the host/],
    ['https://me:secret@tiles.example.net/{z}/{x}/{y}.png', /user or password/],
    ['https://tiles example.net/{z}/{x}/{y}.png', /not a URL/],
  ] as const) {
    await assert.rejects(
      startWith({ TILE_URL: url }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, url)
        assert.match(error.message, /^invalid configuration: TILE_URL: /, url)
        assert.match(error.message, why, url)
        return true
      },
      url,
    )
  }
})
