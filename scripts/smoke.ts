/**
 * The smoke test of a running Convoy, through its public address only, as a user would use it:
 * sign in, the app loads, the vehicles move (in the API and on the live feed), a video uploaded
 * converts to an MP3 that downloads, and its owner is notified. The deploy workflow runs it against
 * production after every rollout and rolls back when it fails; test/deploy/smoke.test.ts runs it
 * against a stack on this machine.
 *
 *   CONVOY_URL=https://convoy.example.com CONVOY_SMOKE_USERNAME=smoke CONVOY_SMOKE_PASSWORD='…' \
 *     node scripts/smoke.ts
 *
 * The user needs the `dispatcher` role (uploads) or `admin`; `CONVOY_SMOKE_USERNAME` defaults to
 * `admin`. Every wait is bounded; the upload and the session it opens are removed again, however it
 * ends. Exit code 0: every check passed; 1: a check failed (the line says which and why); 2: the
 * environment is incomplete. Needs Node 24 and nothing else — no `npm ci`: fetch, FormData, Blob and
 * WebSocket are Node's own, and the contracts are imported for their types only (erased).
 */
import type { LiveFrame, Media, Notification, Vehicle } from '@convoy/contracts'

/** Bounds, in milliseconds: one request; each wait for the system to do something. */
const REQUEST_TIMEOUT = 15_000
const VEHICLES_MOVE_WITHIN = 60_000
const LIVE_FRAME_WITHIN = 30_000
// A converter may be busy with users' videos first; KEDA adds converters as the queue grows.
const CONVERSION_WITHIN = 180_000
const NOTIFICATION_WITHIN = 60_000
const POLL_EVERY = 1_000

class SmokeFailure extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls `check` until it returns something, every POLL_EVERY ms; fails with `what` after `ms`. */
async function within<T>(ms: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new SmokeFailure(`${what} within ${ms / 1000} s`)
    await sleep(POLL_EVERY)
  }
}

/**
 * A one-second AVI, built in memory: 16×16 raw RGB frames and a 440 Hz tone as PCM, so the smoke
 * test needs neither ffmpeg nor a file of its own. media's probe accepts it (a video container
 * with a moving-picture stream, ~50 KB); the converter extracts the tone as MP3.
 */
export function smokeVideo(): Buffer {
  const [width, height, fps, sampleRate] = [16, 16, 5, 22_050]
  const frameBytes = width * height * 3 // 24-bit rows of 48 bytes: no row padding needed
  const samplesPerFrame = sampleRate / fps
  const fourcc = (id: string) => Buffer.from(id, 'latin1')
  const u32 = (...values: number[]) => {
    const out = Buffer.alloc(4 * values.length)
    values.forEach((value, i) => out.writeUInt32LE(value >>> 0, 4 * i))
    return out
  }
  const u16 = (...values: number[]) => {
    const out = Buffer.alloc(2 * values.length)
    values.forEach((value, i) => out.writeUInt16LE(value, 2 * i))
    return out
  }
  const chunk = (id: string, ...data: Buffer[]) => {
    const body = Buffer.concat(data)
    return Buffer.concat([fourcc(id), u32(body.length), body, Buffer.alloc(body.length % 2)])
  }
  const list = (type: string, ...items: Buffer[]) => chunk('LIST', fourcc(type), ...items)

  const movi: Buffer[] = []
  for (let frame = 0; frame < fps; frame++) {
    // A colour per frame (BGR), and the tone's next samples.
    const pixels = Buffer.alloc(frameBytes)
    for (let i = 0; i < frameBytes; i += 3) pixels.set([frame * 50, 128, 255 - frame * 50], i)
    const samples = Buffer.alloc(samplesPerFrame * 2)
    for (let i = 0; i < samplesPerFrame; i++) {
      const t = (frame * samplesPerFrame + i) / sampleRate
      samples.writeInt16LE(Math.round(10_000 * Math.sin(2 * Math.PI * 440 * t)), 2 * i)
    }
    movi.push(chunk('00db', pixels), chunk('01wb', samples))
  }
  // The index: each chunk's id, flags (a key frame), offset from the 'movi' fourcc, and size.
  let offset = 4
  const index = movi.map((entry) => {
    const row = Buffer.concat([entry.subarray(0, 4), u32(0x10, offset, entry.readUInt32LE(4))])
    offset += entry.length
    return row
  })

  // A stream header: type, handler, flags, priority and language, initial frames, scale, rate
  // (rate / scale = units per second), start, length (in units), buffer size, quality, sample
  // size, and the frame's rectangle.
  const strh = (
    type: string,
    handler: string,
    scale: number,
    rate: number,
    length: number,
    sampleSize: number,
  ) =>
    chunk(
      'strh',
      fourcc(type),
      fourcc(handler),
      u32(0),
      u16(0, 0),
      u32(0, scale, rate, 0, length, 0, 0xffffffff, sampleSize),
      u16(0, 0, width, height),
    )
  return chunk(
    'RIFF',
    fourcc('AVI '),
    list(
      'hdrl',
      // prettier-ignore
      chunk('avih', u32(
        1e6 / fps, (frameBytes + samplesPerFrame * 2) * fps, // µs per frame, most bytes per second
        0, 0x10, fps, 0, 2, // padding, flags (an index follows), frames, initial frames, streams
        0, width, height, 0, 0, 0, 0, // buffer size, width, height, reserved
      )),
      list(
        'strl',
        strh('vids', 'DIB ', 1, fps, fps, 0),
        // BITMAPINFOHEADER: its size, width, height, planes, bits per pixel, uncompressed, size.
        chunk('strf', u32(40, width, height), u16(1, 24), u32(0, frameBytes, 0, 0, 0, 0)),
      ),
      list(
        'strl',
        // PCM: a unit is a sample of 2 bytes (the block), the rate is bytes per second.
        strh('auds', '\0\0\0\0', 2, sampleRate * 2, sampleRate, 2),
        // WAVEFORMATEX: PCM, mono, samples/s, bytes/s, block size, bits per sample, no extra bytes.
        chunk('strf', u16(1, 1), u32(sampleRate, sampleRate * 2), u16(2, 16, 0)),
      ),
    ),
    list('movi', ...movi),
    chunk('idx1', ...index),
  )
}

/** The running system, as its public API: requests bounded in time, the session's token sent. */
class Convoy {
  readonly url: string
  accessToken = ''
  refreshToken = ''
  constructor(url: string) {
    this.url = url.replace(/\/+$/, '')
  }

  async request(
    method: string,
    path: string,
    body?: RequestInit['body'],
    headers: Record<string, string> = {},
  ) {
    const authorization = this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        body,
        headers: { ...authorization, ...headers },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT),
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      const reason = cause?.code ?? cause?.message ?? (error as Error).message
      throw new SmokeFailure(`${method} ${path}: ${reason}`)
    }
  }

  /** The JSON of a successful answer; a SmokeFailure naming the status and the problem otherwise. */
  async json<T>(method: string, path: string, body?: RequestInit['body'], headers?: Record<string, string>) {
    const response = await this.request(method, path, body, headers)
    if (!response.ok) throw new SmokeFailure(`${method} ${path}: ${await describe(response)}`)
    return (await response.json()) as T
  }
}

/** "401 Unauthorized: wrong username or password", from a problem+json body when there is one. */
async function describe(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  let detail = text.slice(0, 200)
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string }
    detail = problem.detail ?? problem.title ?? detail
  } catch {
    // not JSON: the start of the text says enough
  }
  return `${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`
}

/** One line per check, as it ends, for the workflow's log. */
async function check(name: string, run: () => Promise<string>): Promise<void> {
  const started = performance.now()
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1)
  try {
    const detail = await run()
    console.log(`ok    ${name} (${seconds()} s): ${detail}`)
  } catch (error) {
    if (error instanceof SmokeFailure) throw new SmokeFailure(`${name} (${seconds()} s): ${error.message}`)
    throw error
  }
}

/** Resolves with the size of the first vehicle frame the live feed sends once signed in. */
function firstVehicleFrame(convoy: Convoy): Promise<number> {
  const url = `${convoy.url.replace(/^http/, 'ws')}/api/live`
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const fail = (reason: string) => {
      clearTimeout(timer)
      socket.close()
      reject(new SmokeFailure(`the live feed at ${url}: ${reason}`))
    }
    const timer = setTimeout(
      () => fail(`no vehicles within ${LIVE_FRAME_WITHIN / 1000} s`),
      LIVE_FRAME_WITHIN,
    )
    socket.addEventListener('open', () =>
      socket.send(JSON.stringify({ type: 'auth', token: convoy.accessToken })),
    )
    socket.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data)) as LiveFrame
      if (frame.type !== 'positions' || frame.vehicles.length === 0) return
      clearTimeout(timer)
      socket.close()
      resolve(frame.vehicles.length)
    })
    socket.addEventListener('error', () => fail('the connection failed'))
    socket.addEventListener('close', (event) => fail(`closed (${event.code} ${event.reason})`))
  })
}

/** Runs every check in order; the first failure stops it. Cleans up what it made, either way. */
async function smoke(convoy: Convoy, username: string, password: string): Promise<void> {
  let upload: Media | undefined
  try {
    await check(`sign in as ${username}`, async () => {
      const basic = Buffer.from(`${username}:${password}`).toString('base64')
      const tokens = await convoy.json<{ accessToken: string; refreshToken: string }>(
        'POST',
        '/api/auth/login',
        undefined,
        { authorization: `Basic ${basic}` },
      )
      convoy.accessToken = tokens.accessToken
      convoy.refreshToken = tokens.refreshToken
      return 'a token pair'
    })

    await check('the web app', async () => {
      const response = await convoy.request('GET', '/')
      const type = response.headers.get('content-type') ?? ''
      if (!response.ok || !type.startsWith('text/html'))
        throw new SmokeFailure(`GET /: ${response.status}, ${type || 'no content type'}`)
      return 'index.html'
    })

    await check('vehicles move', async () => {
      const first = await convoy.json<Vehicle[]>('GET', '/api/vehicles')
      if (first.length === 0) throw new SmokeFailure('GET /api/vehicles: no vehicles')
      const before = new Map(first.map((vehicle) => [vehicle.name, `${vehicle.lat},${vehicle.lng}`]))
      const moved = await within(VEHICLES_MOVE_WITHIN, 'no vehicle moved', async () => {
        const now = await convoy.json<Vehicle[]>('GET', '/api/vehicles')
        const count = now.filter(
          (v) => before.has(v.name) && before.get(v.name) !== `${v.lat},${v.lng}`,
        ).length
        return count > 0 ? count : undefined
      })
      return `${moved} of ${first.length} vehicles moved`
    })

    await check('the live feed', async () => `${await firstVehicleFrame(convoy)} vehicles in its first frame`)

    await check('an upload converts to MP3', async () => {
      const form = new FormData()
      const name = `convoy-smoke-${new Date().toISOString().replace(/[:.]/g, '-')}.avi`
      form.append('file', new Blob([smokeVideo()], { type: 'video/x-msvideo' }), name)
      upload = await convoy.json<Media>('POST', '/api/media', form)
      const id = upload.id
      const done = await within(CONVERSION_WITHIN, `${name} was not converted`, async () => {
        const media = await convoy.json<Media>('GET', `/api/media/${id}`)
        return media.status === 'ready' || media.status === 'failed' ? media : undefined
      })
      if (done.status === 'failed') throw new SmokeFailure(`${name}: the conversion failed: ${done.error}`)
      const response = await convoy.request('GET', `/api/media/${id}/mp3`)
      if (!response.ok) throw new SmokeFailure(`GET /api/media/${id}/mp3: ${await describe(response)}`)
      const mp3 = new Uint8Array(await response.arrayBuffer())
      const id3 = new TextDecoder().decode(mp3.subarray(0, 3)) === 'ID3'
      const frameSync = mp3[0] === 0xff && ((mp3[1] ?? 0) & 0xe0) === 0xe0
      if (!id3 && !frameSync) throw new SmokeFailure(`GET /api/media/${id}/mp3: not an MP3`)
      return `${name} → ${mp3.length} bytes of MP3`
    })

    await check('its owner is notified', async () => {
      const id = upload!.id
      const notification = await within(NOTIFICATION_WITHIN, 'no notification of the upload', async () => {
        const listed = await convoy.json<Notification[]>('GET', '/api/notifications')
        return listed.find((n) => n.mediaId === id)
      })
      if (notification.kind !== 'media.ready')
        throw new SmokeFailure(`the notification is ${notification.kind}, not media.ready`)
      return notification.title
    })
  } finally {
    await cleanUp(convoy, upload)
  }
}

/** Deletes the upload (and its MP3) and ends the session; a failure here is reported, not fatal. */
async function cleanUp(convoy: Convoy, upload: Media | undefined) {
  const steps: Array<[string, () => Promise<Response>]> = []
  if (upload)
    steps.push([`delete ${upload.filename}`, () => convoy.request('DELETE', `/api/media/${upload.id}`)])
  if (convoy.refreshToken)
    steps.push([
      'sign out',
      () =>
        convoy.request('POST', '/api/auth/logout', JSON.stringify({ refreshToken: convoy.refreshToken }), {
          'content-type': 'application/json',
        }),
    ])
  for (const [what, step] of steps) {
    const response = await step().catch((error: Error) => error)
    if (response instanceof Error || !response.ok)
      console.log(`note  ${what}: ${response instanceof Error ? response.message : await describe(response)}`)
  }
}

if (import.meta.main) {
  const { CONVOY_URL, CONVOY_SMOKE_USERNAME = 'admin', CONVOY_SMOKE_PASSWORD } = process.env
  if (!CONVOY_URL || !CONVOY_SMOKE_PASSWORD) {
    console.error(
      'usage: CONVOY_URL=https://… CONVOY_SMOKE_PASSWORD=… [CONVOY_SMOKE_USERNAME=admin] node scripts/smoke.ts',
    )
    process.exit(2)
  }
  console.log(`Smoke test of ${CONVOY_URL}`)
  try {
    await smoke(new Convoy(CONVOY_URL), CONVOY_SMOKE_USERNAME, CONVOY_SMOKE_PASSWORD)
    console.log('Smoke test passed')
  } catch (error) {
    if (!(error instanceof SmokeFailure)) throw error
    console.log(`FAIL  ${error.message}`)
    process.exitCode = 1
  }
}
