import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Media, Position, Vehicle, VehicleHistory } from '@convoy/contracts'
import { eventually, makeTestVideo } from '@convoy/platform/testing'
import { login, openLiveFeed, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { startEmbedded } from './embedded.ts'

const dataDir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-'))
after(() => rm(dataDir, { recursive: true, force: true }))
let token = ''

const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } })
/** JSON requests to the API of the system at `url`, as the user of `token`. */
const apiOf = (url: string) => (method: string, path: string, token: string, body?: object) =>
  fetch(`${url}/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body && JSON.stringify(body),
  })
const history = async (url: string) => {
  const response = await get(`${url}/api/vehicles/City%20Truck/history?from=2000-01-01T00:00:00Z&limit=10000`)
  return response.ok ? ((await response.json()) as VehicleHistory).positions : []
}

test('embedded mode drives all 38 vehicles and keeps their history (and its admin) across a restart', async () => {
  let system = await startEmbedded({
    dataDir,
    port: 0,
    env: { LOG_LEVEL: 'silent', REPORT_INTERVAL_MS: '200' },
  })
  // Stopped however the test ends: a failed assertion must not leave the fleet running.
  let password: string | undefined
  let before: Position[]
  try {
    // No CONVOY_ADMIN_PASSWORD: the first start makes up the admin's password and shows it once.
    assert.equal(system.notices.length, 1)
    password = /user "admin" with password (\S+) /.exec(system.notices[0]!)?.[1]
    assert.ok(password && password.length >= 20, system.notices[0])
    token = await login(system.url, 'admin', password)
    const vehicles = await eventually(async () => {
      const list = (await (await get(`${system.url}/api/vehicles`)).json()) as Vehicle[]
      return list.length === 38 ? list : null
    }, 'all 38 vehicles reported')
    assert.equal(vehicles[0]!.name, 'City Truck')
    before = await eventually(async () => {
      const positions = await history(system.url)
      return positions.length >= 3 ? positions : null
    }, 'a few positions of City Truck')
  } finally {
    await system.close()
  }

  system = await startEmbedded({ dataDir, port: 0, env: { LOG_LEVEL: 'silent', REPORT_INTERVAL_MS: '200' } })
  try {
    assert.deepEqual(system.notices, [], 'the password is shown only on the first start')
    token = await login(system.url, 'admin', password)
    const afterRestart = await eventually(async () => {
      const positions = await history(system.url)
      return positions.length >= before.length + 3 ? positions : null
    }, 'new positions after the restart')
    assert.deepEqual(afterRestart.slice(0, before.length), before, 'the same positions, oldest first')
    // The vehicle carries on from where it was: no jump across the city (speeds stay realistic).
    const fastest = Math.max(...afterRestart.map((p) => p.speedKmh))
    assert.ok(fastest < 80, `fastest ${fastest} km/h`)
  } finally {
    await system.close()
  }
})

test('a first start that fails later still shows the admin password it created', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-failed-'))
  const shown: string[] = []
  try {
    // Media cannot make its work folder (under a file): auth has created the admin by then.
    await writeFile(path.join(dir, 'a-file'), '')
    await assert.rejects(
      startEmbedded({
        dataDir: dir,
        port: 0,
        env: { LOG_LEVEL: 'silent', WORK_DIR: path.join(dir, 'a-file', 'work') },
        onNotice: (notice) => shown.push(notice),
      }),
      /ENOTDIR/,
    )
    const password = /password (\S+) /.exec(shown[0] ?? '')?.[1]
    assert.ok(password, 'the password was shown before the failure')
    const system = await startEmbedded({ dataDir: dir, port: 0, env: { LOG_LEVEL: 'silent' } })
    try {
      assert.deepEqual(system.notices, [])
      assert.ok(await login(system.url, 'admin', password), 'and it is the admin password')
    } finally {
      await system.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('embedded mode runs the media pipeline: upload, MP3, and the email in the local outbox', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-media-'))
  const system = await startEmbedded({
    dataDir: dir,
    port: 0,
    env: { LOG_LEVEL: 'silent', VEHICLES: '0', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  })
  try {
    const bearer = { authorization: `Bearer ${await login(system.url)}` }
    const clip = path.join(dir, 'clip.mp4')
    await makeTestVideo(clip, { seconds: 1 })
    const form = new FormData()
    form.append('file', await openAsBlob(clip), 'clip.mp4')
    const uploaded = await fetch(`${system.url}/api/media`, { method: 'POST', body: form, headers: bearer })
    assert.equal(uploaded.status, 202)
    const { id } = (await uploaded.json()) as Media
    await eventually(
      async () =>
        ((await (await fetch(`${system.url}/api/media/${id}`, { headers: bearer })).json()) as Media)
          .status === 'ready',
      'the job ready',
      30_000,
    )
    const mp3 = await fetch(`${system.url}/api/media/${id}/mp3`, { headers: bearer })
    assert.equal(mp3.headers.get('content-type'), 'audio/mpeg')
    assert.ok((await mp3.arrayBuffer()).byteLength > 1000)
    const outbox = await eventually(async () => {
      const emails = (await readdir(path.join(dir, 'outbox'))).filter((f) => f.endsWith('.eml'))
      return emails.length > 0 ? emails : null
    }, 'the email in the outbox')
    assert.equal(outbox.length, 1)
    const email = await readFile(path.join(dir, 'outbox', outbox[0]!), 'utf8')
    assert.match(email, /^Subject: Your MP3 of clip\.mp4 is ready/m)
    assert.match(email, /^To: admin@localhost/m)
  } finally {
    await system.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('embedded mode ends a disabled user’s sessions at once, live feed included, and a name taken again is another user', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-sessions-'))
  const system = await startEmbedded({
    dataDir: dir,
    port: 0,
    env: { LOG_LEVEL: 'silent', VEHICLES: '0', CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  })
  try {
    const admin = await login(system.url)
    const api = apiOf(system.url)
    const createBen = () =>
      api('POST', '/auth/users', admin, { username: 'ben', password: 'ben pass phrase', role: 'dispatcher' })
    assert.equal((await createBen()).status, 201)
    const ben = await login(system.url, 'ben', 'ben pass phrase')
    assert.equal((await api('GET', '/media', ben)).status, 200)
    const feed = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, ben)

    assert.equal((await api('PATCH', '/auth/users/ben', admin, { disabled: true })).status, 200)
    assert.deepEqual(await feed.closed, { code: 4401, reason: 'the session has been revoked' })
    for (const url of ['/vehicles', '/media', '/notifications', '/auth/me'])
      assert.equal((await api('GET', url, ben)).status, 401, url)

    assert.equal((await api('DELETE', '/auth/users/ben', admin)).status, 204)
    assert.equal((await createBen()).status, 201)
    const newBen = await login(system.url, 'ben', 'ben pass phrase')
    const me = (await (await api('GET', '/auth/me', newBen)).json()) as { id: string }
    assert.notEqual(me.id, ((await (await api('GET', '/auth/me', admin)).json()) as { id: string }).id)
    assert.equal((await api('GET', '/auth/me', ben)).status, 401, 'the first ben stays gone')
  } finally {
    await system.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test("embedded mode passes the web service its map tiles; a user's preferences and an admin's view of every upload go through the gateway", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-settings-'))
  const tileUrl = 'https://{s}.tiles.example.net/{z}/{x}/{y}.png'
  const system = await startEmbedded({
    dataDir: dir,
    port: 0,
    env: {
      LOG_LEVEL: 'silent',
      VEHICLES: '0',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      TILE_URL: tileUrl,
      TILE_ATTRIBUTION: 'Example tiles',
    },
  })
  try {
    const config = await fetch(`${system.url}/config.json`)
    assert.deepEqual(await config.json(), { tileUrl, tileAttribution: 'Example tiles' })
    const page = await fetch(system.url)
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      /img-src 'self' data: https:\/\/\*\.tiles\.example\.net;/,
    )

    const admin = await login(system.url)
    const api = apiOf(system.url)
    const created = await api('POST', '/auth/users', admin, {
      username: 'dee',
      password: 'dee pass phrase',
      role: 'dispatcher',
    })
    assert.equal(created.status, 201)
    const dee = await login(system.url, 'dee', 'dee pass phrase')
    const chosen = {
      units: 'imperial',
      timeZone: 'Europe/London',
      clock: '24h',
      absoluteTime: true,
      theme: 'dark',
      emailAlerts: true,
    }
    assert.equal((await api('PUT', '/auth/me/preferences', dee, chosen)).status, 200)
    assert.deepEqual(await (await api('GET', '/auth/me/preferences', dee)).json(), chosen)
    const bad = await api('PUT', '/auth/me/preferences', dee, { ...chosen, timeZone: 'Atlantis/Capital' })
    assert.equal(bad.status, 400)
    assert.match(bad.headers.get('content-type') ?? '', /^application\/problem\+json/)

    assert.equal((await api('GET', '/media?scope=all', admin)).status, 200)
    assert.equal((await api('GET', '/media?scope=all', dee)).status, 403)
  } finally {
    await system.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('without ffmpeg, the start says so: uploads are refused and videos cannot be converted until it is installed', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-embedded-no-ffmpeg-'))
  const missing = path.join(dir, 'no-such-bin')
  const shown: string[] = []
  const system = await startEmbedded({
    dataDir: dir,
    port: 0,
    env: {
      LOG_LEVEL: 'silent',
      VEHICLES: '0',
      CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      FFMPEG_PATH: path.join(missing, 'ffmpeg'),
      FFPROBE_PATH: path.join(missing, 'ffprobe'),
    },
    onNotice: (notice) => shown.push(notice),
  })
  try {
    const install = '(apt-get install ffmpeg / brew install ffmpeg).'
    assert.deepEqual(shown, [
      `ffprobe is not installed (not found: ${missing}/ffprobe): uploads are refused until it is ${install}`,
      `ffmpeg is not installed (not found: ${missing}/ffmpeg): videos cannot be converted until it is ${install}`,
    ])
    assert.deepEqual(system.notices, shown)
    for (const service of ['media', 'converter'] as const) {
      const ready = await fetch(`${system.ops[service]}/readyz`)
      assert.equal(ready.status, 503, service)
      assert.match(((await ready.json()) as { checks: { ffmpeg: string } }).checks.ffmpeg, /is not installed/)
    }
  } finally {
    await system.close()
    await rm(dir, { recursive: true, force: true })
  }
})
