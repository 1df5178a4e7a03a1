/**
 * The media pipeline in the stack topology: every service its own process, real PostgreSQL,
 * RabbitMQ, ffmpeg and an SMTP server started here. A user uploads through the gateway and
 * watches the job on the live feed; the email arrives once; the MP3 downloads.
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { openAsBlob } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Media } from '@convoy/contracts'
import {
  eventually,
  freePorts,
  makeTestVideo,
  queueCounts,
  sendMultipart,
  startMailCatcher,
  tcpProxy,
  TEST_AMQP_HOST,
  type MailCatcher,
  type TcpProxy,
} from '@convoy/platform/testing'
import { spawnService, started } from '@convoy/system'
import { startTestStack, type TestStack, login, openLiveFeed, type LiveFeed } from '@convoy/system/testing'

describe('the media pipeline in the stack topology', () => {
  let dir: string
  let smtp: MailCatcher
  let amqpProxy: TcpProxy
  let system: TestStack
  let gatewayPort: number
  let token: string
  const converters: ChildProcess[] = []
  let live: LiveFeed
  let clip: string // 2 s, with sound
  let silent: string // no audio track
  let long: string // ten minutes of sound: a conversion that takes a while

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-media-system-'))
    clip = path.join(dir, 'incident.mp4')
    silent = path.join(dir, 'silent.mp4')
    long = path.join(dir, 'long.mp4')
    await Promise.all([
      makeTestVideo(clip, { seconds: 2 }),
      makeTestVideo(silent, { seconds: 1, audio: false }),
      makeTestVideo(long, { seconds: 600, width: 64, height: 48 }),
    ])
    smtp = await startMailCatcher()
    // The services reach RabbitMQ through a proxy the test can cut, as a broker restart would.
    const [host, port] = TEST_AMQP_HOST.split(':')
    amqpProxy = await tcpProxy({ host: host!, port: Number(port) })
    // A port of our choosing, as `PORT=… npm run stack` gives one: emails must link to it.
    ;[gatewayPort] = (await freePorts(1)) as [number]
    system = await startTestStack({
      port: gatewayPort,
      skip: ['converter', 'position-simulator'],
      amqpPort: amqpProxy.port,
      serviceEnv: {
        notification: { SMTP_PORT: String(smtp.port) },
        media: { SWEEP_EVERY_MS: '500', REPUBLISH_AFTER_MS: '1000' },
      },
    })
    await startConverter()
    token = await login(system.url)
    live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, token)
  })

  after(async () => {
    live?.close()
    for (const converter of converters) if (converter.exitCode === null) converter.kill('SIGKILL')
    await system?.close()
    await Promise.all([smtp?.close(), amqpProxy?.close()])
    await rm(dir, { recursive: true, force: true })
  })

  const viaProxy = (url: string) => Object.assign(new URL(url), { port: String(amqpProxy.port) }).toString()

  async function startConverter() {
    const child = spawnService(
      'converter',
      {
        ...process.env,
        OPS_PORT: '0',
        OPS_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        AMQP_URL: viaProxy(system.amqpUrl),
        MEDIA_URL: system.services.media,
        RETRY_DELAY_MS: '200',
      },
      process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
    )
    converters.push(child)
    await started(child, 'converter')
    return child
  }

  const api = (method: string, url: string, body?: FormData) =>
    fetch(`${system.url}/api${url}`, { method, body, headers: { authorization: `Bearer ${token}` } })

  async function upload(file: string, filename = path.basename(file)) {
    const form = new FormData()
    form.append('file', await openAsBlob(file), filename)
    const response = await api('POST', '/media', form)
    assert.equal(response.status, 202, await response.clone().text())
    return (await response.json()) as Media
  }
  const statusesOf = (id: string) =>
    live.frames.flatMap((frame) =>
      frame.type === 'media' && frame.media.id === id ? [frame.media.status] : [],
    )
  const mailsAbout = (filename: string) =>
    smtp.mails.filter((mail) => mail.headers.subject?.includes(filename))

  test('upload → converting → ready on the live feed, one email, a notification, and the MP3 downloads', async () => {
    const job = await upload(clip)
    assert.equal(job.status, 'uploaded')
    await eventually(() => statusesOf(job.id).includes('ready'), 'ready on the live feed', 60_000)
    assert.deepEqual(statusesOf(job.id), ['uploaded', 'converting', 'ready'])
    const notification = await eventually(
      () =>
        live.frames.find((frame) => frame.type === 'notification' && frame.notification.mediaId === job.id),
      'the in-app notification',
    )
    assert.equal(notification.type === 'notification' && notification.notification.kind, 'media.ready')

    const mail = await eventually(() => mailsAbout('incident.mp4')[0], 'the email')
    assert.deepEqual(mail.envelope.to, ['admin@localhost'])
    assert.equal(mail.headers.subject, 'Your MP3 of incident.mp4 is ready')
    assert.match(mail.text, /#\/uploads/)

    const download = await api('GET', `/media/${job.id}/mp3`)
    assert.equal(download.status, 200)
    assert.equal(download.headers.get('content-type'), 'audio/mpeg')
    const mp3 = Buffer.from(await download.arrayBuffer())
    assert.ok(
      mp3.subarray(0, 3).toString() === 'ID3' || (mp3[0] === 0xff && (mp3[1]! & 0xe0) === 0xe0),
      'an MP3',
    )

    const listed = (await (await api('GET', '/notifications')).json()) as Array<{ mediaId?: string }>
    assert.ok(listed.some((n) => n.mediaId === job.id))
    const emails = (await (await api('GET', '/notifications/emails')).json()) as Array<{
      subject: string
      sentAt?: string
    }>
    assert.ok(emails.some((e) => e.subject === 'Your MP3 of incident.mp4 is ready' && e.sentAt))

    assert.equal((await api('DELETE', `/media/${job.id}`)).status, 204)
    assert.equal((await api('GET', `/media/${job.id}/mp3`)).status, 404)
    assert.equal(mailsAbout('incident.mp4').length, 1, 'one email for the job')
  })

  test('the email links to the app where the stack was started, on its port', async () => {
    const job = await upload(clip, 'link.mp4')
    const mail = await eventually(() => mailsAbout('link.mp4')[0], 'the email', 60_000)
    assert.match(mail.text, new RegExp(`http://localhost:${gatewayPort}/#/uploads`))
    assert.equal(((await (await api('GET', `/media/${job.id}`)).json()) as Media).status, 'ready')
  })

  test('a video without sound ends failed with a readable reason, and its owner is told so', async () => {
    const job = await upload(silent)
    await eventually(() => statusesOf(job.id).includes('failed'), 'failed on the live feed', 60_000)
    const media = (await (await api('GET', `/media/${job.id}`)).json()) as Media
    assert.equal(media.error, 'no audio track')
    const mail = await eventually(() => mailsAbout('silent.mp4')[0], 'the email')
    assert.equal(mail.headers.subject, 'silent.mp4 could not be converted')
    assert.match(mail.text, /no audio track/)
  })

  test('a converter killed mid-conversion: the job finishes once, after another converter starts', async () => {
    const job = await upload(long, 'long drive.mp4')
    await eventually(() => statusesOf(job.id).includes('converting'), 'converting', 60_000)
    for (const converter of converters) converter.kill('SIGKILL')
    await Promise.all(
      converters.map((converter) =>
        converter.exitCode === null && converter.signalCode === null
          ? once(converter, 'exit')
          : Promise.resolve(),
      ),
    )
    assert.equal(((await (await api('GET', `/media/${job.id}`)).json()) as Media).status, 'converting')

    await startConverter()
    await eventually(() => statusesOf(job.id).includes('ready'), 'ready after the restart', 120_000)
    await eventually(() => mailsAbout('long drive.mp4').length === 1, 'the email')
    // Nothing arrives twice: one ready, one email, and the queue is empty.
    await eventually(
      async () => (await queueCounts(system.amqpUrl, 'converter.videos')).unacked === 0,
      'acked',
    )
    assert.equal(statusesOf(job.id).filter((status) => status === 'ready').length, 1)
    assert.equal(mailsAbout('long drive.mp4').length, 1)
  })

  test('a 1 GB upload through the gateway is refused with 413 early, whether its length is declared or not', async () => {
    for (const declare of [true, false]) {
      const result = await sendMultipart(`${system.url}/api/media`, token, { total: 1024 ** 3, declare })
      assert.equal(result.status, 413, `declared: ${declare}`)
      assert.match(result.body, /larger than the limit of 209715200 bytes/)
      assert.ok(result.sent < 300 * 1024 ** 2, `the client got to send ${result.sent} bytes`)
    }
    const list = (await (await api('GET', '/media')).json()) as Media[]
    assert.ok(!list.some((m) => m.filename === 'huge.mp4'))
  })

  test('a client still sending always gets the 413, from media in its own process and through the gateway', async () => {
    // Closing at once after the answer would reset the connection under the client, which then
    // sees a broken pipe instead of the 413 (it did, about one try in three, before lingering).
    for (const url of [`${system.services.media}/media`, `${system.url}/api/media`]) {
      for (let i = 0; i < 10; i++) {
        const result = await sendMultipart(url, token, { total: 1024 ** 3, declare: true })
        assert.equal(result.status, 413, `${url}, try ${i + 1}`)
      }
    }
  })

  test('RabbitMQ gone during a batch of uploads: every job still ends ready, none lost or stuck', async () => {
    const uploads = Array.from({ length: 4 }, (_, i) => upload(clip, `batch ${i}.mp4`))
    const first = await uploads[0]!
    amqpProxy.cut()
    // Uploads go on while the broker is away: the jobs are safe in media's database.
    const more = [await upload(clip, 'batch during outage.mp4')]
    amqpProxy.restore()
    const jobs = [first, ...(await Promise.all(uploads.slice(1))), ...more]
    for (const job of jobs) {
      await eventually(
        async () => ((await (await api('GET', `/media/${job.id}`)).json()) as Media).status === 'ready',
        `${job.filename} ready`,
        90_000,
      )
    }
    for (const job of jobs) {
      await eventually(() => mailsAbout(job.filename).length > 0, `the email about ${job.filename}`, 30_000)
      assert.equal(mailsAbout(job.filename).length, 1, job.filename)
    }
  })
})
