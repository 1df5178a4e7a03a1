/**
 * The containers topology for real (./topology.ts): every image built here with podman, then
 * compose.yaml itself run by docker-compose against podman's socket. What a user of
 * `docker compose up` sees is checked through the published gateway and mail server ports; what only
 * a container shows (its user, its read-only root, SIGTERM as PID 1, ffmpeg inside, the services
 * finding each other by name, data kept in volumes) is checked with podman.
 */
import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Media, Vehicle } from '@convoy/contracts'
import { extractMp3, run } from '@convoy/platform/media'
import { eventually, makeTestVideo } from '@convoy/platform/testing'
import { fullName } from './images.ts'
import { login, openLiveFeed } from '@convoy/system/testing'
import { closeEveryPodman } from './podman.ts'
import { SERVICES, startTopology, type Topology } from './topology.ts'

/** Building every image from nothing takes minutes: most of it debootstrap, apt and npm ci. */
const BUILD_TIMEOUT = 30 * 60_000
const ADMIN_PASSWORD = 'containers admin password'
/** Longer than the waits inside each test, so that theirs is the error a failure shows. */
const TEST_TIMEOUT = 10 * 60_000

/** Recordings of the kinds cameras, phones and recorders make: file, ffmpeg's muxer, codecs. */
const RECORDINGS: Array<[string, string, ...string[]]> = [
  ['phone.mp4', 'mp4', '-c:v', 'mpeg4', '-c:a', 'aac'],
  ['camera in24.mov', 'mov', '-c:v', 'mpeg4', '-c:a', 'pcm_s24be'],
  ['camera ima4.mov', 'mov', '-c:v', 'mpeg4', '-c:a', 'adpcm_ima_qt'],
  ['apple lossless.mov', 'mov', '-c:v', 'mpeg4', '-c:a', 'alac'],
  ['opus.mkv', 'matroska', '-c:v', 'mpeg4', '-c:a', 'libopus'],
  ['vorbis.webm.mkv', 'matroska', '-c:v', 'mpeg4', '-c:a', 'libvorbis'],
  ['flac.mkv', 'matroska', '-c:v', 'mpeg4', '-c:a', 'flac'],
  ['dts.mkv', 'matroska', '-c:v', 'mpeg4', '-c:a', 'dca', '-strict', '-2'],
  ['eac3.mkv', 'matroska', '-c:v', 'mpeg4', '-c:a', 'eac3'],
  ['dashcam.avi', 'avi', '-c:v', 'mpeg4', '-c:a', 'pcm_s16le'],
  ['dashcam adpcm.avi', 'avi', '-c:v', 'mpeg4', '-c:a', 'adpcm_ms'],
  ['broadcast ac3.ts', 'mpegts', '-c:v', 'mpeg2video', '-c:a', 'ac3'],
  ['broadcast mp2.ts', 'mpegts', '-c:v', 'mpeg2video', '-c:a', 'mp2'],
  ['camcorder.m2ts', 'mpegts', '-c:v', 'mpeg2video', '-c:a', 'pcm_bluray', '-mpegts_m2ts_mode', '1'],
  ['dvd.vob', 'vob', '-c:v', 'mpeg2video', '-c:a', 'pcm_dvd'],
  ['windows.wmv', 'asf', '-c:v', 'wmv2', '-c:a', 'wmav2'],
  ['flash.flv', 'flv', '-c:v', 'flv', '-c:a', 'libmp3lame', '-ar', '44100'],
  ['broadcast.mxf', 'mxf', '-c:v', 'mpeg2video', '-c:a', 'pcm_s16le'],
  ['theora.ogv', 'ogg', '-c:v', 'libtheora', '-c:a', 'libvorbis'],
]

interface MailpitMessage {
  ID: string
  To: Array<{ Address: string }>
  Subject: string
  Text?: string
}

describe('compose.yaml on podman: the images built here, the containers topology run', () => {
  let topology: Topology
  let dir: string
  let url: string
  let token: string

  const api = (method: string, route: string, body?: FormData | object) =>
    fetch(`${url}/api${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
      },
      body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
    })
  const mailpit = async <T>(route: string) =>
    (await (await fetch(`http://127.0.0.1:${topology.ports.mailpit}/api/v1${route}`)).json()) as T

  before(
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'convoy-containers-'))
      await makeTestVideo(path.join(dir, 'incident.mp4'), { seconds: 2 })
      topology = await startTopology(ADMIN_PASSWORD)
      url = topology.url
      token = await eventually(
        () => login(url, 'admin', ADMIN_PASSWORD).catch(() => undefined),
        'the first login',
        60_000,
      )
    },
    { timeout: BUILD_TIMEOUT },
  )

  after(
    async () => {
      await topology?.close()
      // A build that timed out is still open: its containers, images and folder go too.
      await closeEveryPodman()
      if (dir) await rm(dir, { recursive: true, force: true })
    },
    { timeout: 5 * 60_000 },
  )

  test(
    'every Convoy service runs as uid 10001 from a read-only root, with no capabilities',
    { timeout: TEST_TIMEOUT },
    async () => {
      for (const service of SERVICES) {
        const { Config, HostConfig, State } = await topology.container(service)
        assert.equal(State.Status, 'running', service)
        assert.equal(Config.User, '10001:10001', service)
        assert.equal(HostConfig.ReadonlyRootfs, true, service)
        const status = await topology.exec(service, 'cat', '/proc/1/status')
        assert.match(status, /^Uid:\s+10001\s/m, `${service}: PID 1's user`)
        assert.match(status, /^CapEff:\s+0+$/m, `${service}: PID 1's effective capabilities`)
        await assert.rejects(
          topology.exec(service, 'node', '-e', "require('fs').writeFileSync('/app/x', '')"),
          /EROFS|read-only/,
          `${service} cannot write to its root`,
        )
      }
    },
  )

  test(
    'media and converter hold ffmpeg and ffprobe; the others hold neither',
    { timeout: TEST_TIMEOUT },
    async () => {
      for (const service of SERVICES) {
        const has = await topology.exec(service, 'sh', '-c', 'ffprobe -version && ffmpeg -version').then(
          () => true,
          () => false,
        )
        assert.equal(has, service === 'media' || service === 'converter', service)
      }
    },
  )

  test(
    'signed in, 38 vehicles move; one is found by name; the live feed carries them',
    { timeout: TEST_TIMEOUT },
    async () => {
      const list = async () => (await (await api('GET', '/vehicles')).json()) as Vehicle[]
      const first = await eventually(
        async () => {
          const vehicles = await list()
          return vehicles.length === 38 ? vehicles : undefined
        },
        '38 vehicles',
        60_000,
      )
      await eventually(
        async () => {
          const now = new Map((await list()).map((v) => [v.name, v]))
          return first.filter((v) => now.get(v.name)!.timestamp > v.timestamp).length >= 30
        },
        'the vehicles moving',
        30_000,
      )

      const one = first[0]!
      const byName = await api('GET', `/vehicles/${encodeURIComponent(one.name)}`)
      assert.equal(byName.status, 200)
      assert.equal(((await byName.json()) as Vehicle).name, one.name)

      const live = await openLiveFeed({ url }, token)
      try {
        await eventually(
          () => {
            const seen = new Set(
              live.frames.flatMap((f) => (f.type === 'positions' ? f.vehicles.map((v) => v.name) : [])),
            )
            return seen.size >= 30
          },
          '30 vehicles or more on the live feed',
          30_000,
        )
      } finally {
        live.close()
      }
    },
  )

  test(
    'an upload becomes an MP3, and its email reaches the mail server',
    { timeout: TEST_TIMEOUT },
    async () => {
      const form = new FormData()
      form.append('file', await openAsBlob(path.join(dir, 'incident.mp4')), 'incident.mp4')
      const uploaded = await api('POST', '/media', form)
      assert.equal(uploaded.status, 202, await uploaded.clone().text())
      const job = (await uploaded.json()) as Media
      await eventually(
        async () => ((await (await api('GET', `/media/${job.id}`)).json()) as Media).status === 'ready',
        'the MP3 ready',
        120_000,
      )
      const mp3 = Buffer.from(await (await api('GET', `/media/${job.id}/mp3`)).arrayBuffer())
      assert.ok(mp3.subarray(0, 3).toString() === 'ID3' || (mp3[0] === 0xff && (mp3[1]! & 0xe0) === 0xe0))

      const mail = await eventually(
        async () =>
          (await mailpit<{ messages: MailpitMessage[] }>('/messages')).messages.find(
            (m) => m.Subject === 'Your MP3 of incident.mp4 is ready',
          ),
        'the email',
        60_000,
      )
      assert.deepEqual(
        mail.To.map((to) => to.Address),
        ['admin@convoy.test'],
      )
      const whole = await mailpit<MailpitMessage>(`/message/${mail.ID}`)
      assert.match(whole.Text ?? '', new RegExp(`http://localhost:${topology.ports.gateway}/#/uploads`))
    },
  )

  test(
    "the images' ffmpeg reads the audio of each kind of recording media accepts, and makes its MP3",
    { timeout: TEST_TIMEOUT },
    async () => {
      // Made here by Debian's full ffmpeg; read by the images' own build (the Dockerfile's list of
      // demuxers and decoders), through Convoy's own probe and conversion code.
      const recordings = path.join(dir, 'recordings')
      await mkdir(recordings)
      await chmod(recordings, 0o777)
      for (const [file, format, ...codecs] of RECORDINGS) {
        const made = await run(
          'ffmpeg',
          [
            ...['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25'],
            ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1'],
            ...codecs,
            ...['-f', format, '-y', path.join(recordings, file)],
          ],
          { timeoutMs: 60_000 },
        )
        assert.equal(made.code, 0, `${file}: ${made.stderr}`)
      }
      const image = fullName(topology.images.built.find((b) => b.service === 'converter')!.image)
      const tool = async (name: string) => {
        const script = path.join(dir, name)
        const env = ['CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF'].map(
          (key) => `${key}='${topology.podman.env[key]}'`,
        )
        await writeFile(
          script,
          `#!/bin/sh\nexport ${env.join(' ')}\nexec podman run --rm --network none --read-only --user 10001:10001 --volume '${recordings}:${recordings}' ${image} ${name} "$@"\n`,
          { mode: 0o755 },
        )
        return script
      }
      const tools = { ffmpeg: await tool('ffmpeg'), ffprobe: await tool('ffprobe'), timeoutMs: 120_000 }
      const failed: string[] = []
      for (const [file] of RECORDINGS) {
        const input = path.join(recordings, file)
        try {
          await extractMp3(input, `${input}.mp3`, tools)
          const mp3 = await readFile(`${input}.mp3`)
          if (!(mp3.subarray(0, 3).toString() === 'ID3' || (mp3[0] === 0xff && (mp3[1]! & 0xe0) === 0xe0)))
            failed.push(`${file}: not an MP3`)
        } catch (error) {
          failed.push(`${file}: ${(error as Error).message}`)
        }
      }
      assert.deepEqual(failed, [])
    },
  )

  test(
    "PostgreSQL's container, removed and made again, finds its data in the volume",
    { timeout: TEST_TIMEOUT },
    async () => {
      const created = await api('POST', '/auth/users', {
        username: 'dora',
        password: 'dora the dispatcher',
        role: 'dispatcher',
      })
      assert.equal(created.status, 201, await created.clone().text())
      await topology.compose('rm', '--stop', '--force', 'auth-db')
      await topology.compose('up', '--detach', '--no-build', 'auth-db')
      await eventually(
        () => login(url, 'dora', 'dora the dispatcher').catch(() => undefined),
        'dora signs in again',
        60_000,
      )
    },
  )

  test(
    'docker stop: each service gets SIGTERM as PID 1 and exits 0 within its grace period',
    { timeout: TEST_TIMEOUT },
    async () => {
      for (const service of SERVICES.toReversed()) {
        const stopping = Date.now()
        await topology.compose('stop', service)
        const seconds = (Date.now() - stopping) / 1000
        const { State } = await topology.container(service)
        assert.equal(State.Status, 'exited', service)
        assert.equal(State.ExitCode, 0, `${service} exit code`)
        // The services' own shutdown budget is 25 s; an idle one takes a second or two.
        assert.ok(seconds < 15, `${service} took ${seconds} s to stop`)
      }
    },
  )
})
