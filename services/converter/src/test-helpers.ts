// What the converter's tests share: a stand-in for media's internal API, the videos to convert,
// and a listener for the converter's results. Used by the tests only.
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import {
  conversionFailed,
  mp3Converted,
  videoUploaded,
  type ConversionFailed,
  type Mp3Converted,
  type VideoUploaded,
} from '@convoy/contracts'
import { run } from '@convoy/platform/media'
import { connectBroker } from '@convoy/platform/messaging'
import { eventually, makeTestVideo, testLogger, uniqueName } from '@convoy/platform/testing'
import { start } from './main.ts'

export interface StandInJob {
  token: string
  /** The video media holds for this job. */
  video: string
  /** Times `GET …/video` answers 503 before it serves the video (Infinity: always). */
  unavailable?: number
  /** Called when `GET …/video` arrives; the answer waits for the promise it returns. */
  hold?: () => Promise<void>
  /** The job is deleted once its video has been served (the owner deleted it meanwhile). */
  deleteAfterDownload?: boolean
}

export interface MediaRequest {
  method: string
  id: string
  status: number
  authorization: string | undefined
}

/**
 * Stands in for media's internal API (the real one lives in the `media` service): exactly the two
 * endpoints a conversion uses, answering as media must. `GET /internal/media/{id}/video` serves
 * the job's video to its Bearer token (401 for another, 404 once the job is deleted);
 * `PUT /internal/media/{id}/mp3` stores an `audio/mpeg` body and answers 204.
 */
export async function standInMedia(dir: string) {
  const jobs = new Map<string, StandInJob>()
  const requests: MediaRequest[] = []
  const server = http.createServer((request, response) => {
    answer(request, response).catch(() => response.destroy())
  })

  async function answer(request: http.IncomingMessage, response: http.ServerResponse) {
    const [, id = '', resource] = /^\/internal\/media\/([^/]+)\/(video|mp3)$/.exec(request.url ?? '') ?? []
    const job = jobs.get(id)
    const reply = (status: number) => {
      requests.push({
        method: request.method ?? '',
        id,
        status,
        authorization: request.headers.authorization,
      })
      return response.writeHead(status)
    }
    if (!resource) return void reply(404).end()
    if (!job) return void (request.resume(), reply(404).end())
    if (request.headers.authorization !== `Bearer ${job.token}`)
      return void (request.resume(), reply(401).end())
    if (request.method === 'GET' && resource === 'video') {
      if (job.unavailable && job.unavailable-- > 0) return void reply(503).end()
      await job.hold?.()
      response.setHeader('content-type', 'video/mp4')
      response.setHeader('content-length', (await stat(job.video)).size)
      reply(200)
      await pipeline(createReadStream(job.video), response)
      if (job.deleteAfterDownload) jobs.delete(id)
      return
    }
    if (request.method === 'PUT' && resource === 'mp3') {
      if (request.headers['content-type'] !== 'audio/mpeg') return void (request.resume(), reply(415).end())
      await pipeline(request, createWriteStream(path.join(dir, `${id}.mp3`)))
      return void reply(204).end()
    }
    reply(405).end()
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** A new job for `video`, as media makes one on upload; the message announcing it. */
    add(video: string, options: Partial<StandInJob> = {}): VideoUploaded {
      const id = randomUUID()
      const token = randomUUID().replaceAll('-', '')
      jobs.set(id, { token, video, ...options })
      return {
        version: 2,
        id,
        ownerId: '00000000-0000-4000-8000-000000000001',
        filename: path.basename(video),
        size: statSync(video).size,
        token,
      }
    },
    /** Where the MP3 handed back for `id` is stored. */
    mp3: (id: string) => path.join(dir, `${id}.mp3`),
    /** Requests about one job, in order: `GET 503`, `GET 200`, `PUT 204`... */
    of: (id: string) => requests.filter((r) => r.id === id).map((r) => `${r.method} ${r.status}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
export type StandInMedia = Awaited<ReturnType<typeof standInMedia>>

/** The videos the tests convert: a good one, one without sound, one whose bytes are garbled. */
export async function testVideos(dir: string) {
  const clip = path.join(dir, 'clip.mp4')
  const silent = path.join(dir, 'silent.mp4')
  const corrupt = path.join(dir, 'corrupt.mp4')
  await makeTestVideo(clip, { seconds: 2 })
  await makeTestVideo(silent, { seconds: 1, audio: false })
  // A real MP4 whose bytes after the first 2 kB are noise: its header cannot be read.
  const bytes = await readFile(clip)
  for (let i = 2048; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff
  await writeFile(corrupt, bytes)
  return { clip, silent, corrupt }
}

export interface Result {
  routingKey: string
  messageId: string
  body: Mp3Converted | ConversionFailed
}

/**
 * Listens to the converter's results on `brokerUrl` as media would, and publishes jobs. Resolves
 * once its queues are bound, so no result is missed.
 */
export async function resultsListener(brokerUrl: string) {
  const broker = connectBroker({ url: brokerUrl, log: testLogger() })
  const results: Result[] = []
  const prefix = uniqueName('test.results')
  // A queue of each result's own, which tells them apart here.
  const subscriptions = [mp3Converted, conversionFailed].map((topic) =>
    broker.consume({
      queue: `${prefix}.${topic.routingKey}`,
      topics: [topic],
      temporary: true,
      handler: async ({ body, messageId }) =>
        void results.push({ routingKey: topic.routingKey, messageId, body }),
    }),
  )
  await eventually(() => subscriptions.every((s) => s.isReady()), 'results queues bound')
  return {
    results,
    publish: (job: VideoUploaded) =>
      broker.publish(videoUploaded, job, { messageId: `video.uploaded:${job.id}` }),
    /** The results about job `id` so far. */
    of: (id: string) => results.filter((r) => r.body.id === id),
    /** Waits for the first result about job `id`. */
    next: (id: string, timeoutMs = 30_000) =>
      eventually(() => results.find((r) => r.body.id === id), `a result for job ${id}`, timeoutMs),
    close: () => broker.close(),
  }
}

/**
 * The converter as it runs (its `start`), on an embedded broker, with a stand-in media and a
 * listener for its results, in a folder of its own (`dir`; its WORK_DIR is `workDir`). `env`
 * adds to or replaces its settings.
 */
export async function startConverter(env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'converter-test-'))
  const brokerUrl = `embedded://${uniqueName('converter')}`
  const workDir = path.join(dir, 'work')
  const media = await standInMedia(dir)
  const listener = await resultsListener(brokerUrl)
  const converter = await start({
    OPS_PORT: '0',
    OPS_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AMQP_URL: brokerUrl,
    MEDIA_URL: media.url,
    WORK_DIR: workDir,
    ...env,
  })
  return {
    dir,
    brokerUrl,
    workDir,
    media,
    listener,
    converter,
    async close() {
      await converter.close()
      await listener.close()
      await media.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
export type TestConverter = Awaited<ReturnType<typeof startConverter>>

/** What conversions left in the converter's own folder in `workDir` (beside its claim): nothing, once done. */
export async function leftInWorkDir(workDir: string): Promise<string[]> {
  return (await readdir(workDir, { recursive: true })).filter((name) => name.includes(path.sep))
}

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

/** What ffprobe reads in an audio file: its container, first stream's codec and seconds. */
export async function probeAudio(file: string) {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]
  const result = await run('ffprobe', args, { timeoutMs: 30_000 })
  const output = JSON.parse(result.stdout) as {
    format?: { format_name?: string; duration?: string }
    streams?: Array<{ codec_type?: string; codec_name?: string }>
  }
  return {
    format: output.format?.format_name,
    streams: (output.streams ?? []).map((s) => `${s.codec_type}/${s.codec_name}`),
    seconds: Number(output.format?.duration),
  }
}
