import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import Type from 'typebox'
import { connectBroker, type Broker } from '@convoy/platform/messaging'
import { mp3Converted, type Media } from '@convoy/contracts'
import {
  createTestDatabase,
  eventually,
  makeTestVideo,
  testLogger,
  uniqueName,
} from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { start } from './main.ts'

/** A message the tests saw on the media exchange. */
export interface Seen {
  routingKey: string
  messageId: string
  body: Record<string, unknown> & {
    id?: string
    token?: string
    ownerId?: string
    ownerName?: string
    version?: number
    media?: { status: string; id: string }
  }
}

/** The problem+json body of an answer, asserting it is one. */
export async function problem(response: Response) {
  assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  return (await response.json()) as { status: number; detail: string }
}

/**
 * The media service started as in production (its `start`, real PostgreSQL, a local blob store,
 * ffprobe), on the embedded broker, with a listener on every message of the media exchange.
 */
export async function startMedia(env: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-media-test-'))
  const issuer: TestIssuer = await testIssuer()
  const jwks = await issuer.serveAuth()
  const database = await createTestDatabase()
  const amqpUrl = env.AMQP_URL ?? `embedded://${uniqueName('media')}`
  const blobs = path.join(dir, 'blobs')
  const work = path.join(dir, 'work')
  const service = await start({
    PORT: '0',
    HOST: '127.0.0.1',
    OPS_PORT: '0',
    OPS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    AMQP_URL: amqpUrl,
    ...jwks.env,
    BLOB_STORE_URL: pathToFileURL(blobs).href,
    WORK_DIR: work,
    ...env,
  })
  const broker: Broker = connectBroker({ url: amqpUrl, log: testLogger() })
  const seen: Seen[] = []
  const listener = broker.consume({
    queue: 'media-test.all',
    temporary: true,
    topics: [{ exchange: 'media', routingKey: '#', schema: Type.Unknown() }],
    // Media names each message `<routing key>:<job id>…`, which tells them apart here.
    handler: async ({ messageId, body }) => {
      seen.push({ routingKey: messageId.split(':')[0]!, messageId, body: body as Seen['body'] })
    },
  })
  const video = path.join(dir, 'clip.mp4')
  await makeTestVideo(video, { seconds: 1 })

  /** A request to media's API with `token` (none when empty). */
  const call = (method: string, url: string, token: string, body?: RequestInit['body']) =>
    fetch(`${service.url}${url}`, {
      method,
      body,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
  /** Uploads `file` (the test clip by default) as the user of `token`. */
  async function upload(token: string, file?: Blob, filename = 'incident.mp4', field = 'file') {
    const form = new FormData()
    form.append(field, file ?? (await openAsBlob(video)), filename)
    return call('POST', '/media', token, form)
  }
  /** Uploads the test clip as the user of `token`: the new job and its capability token. */
  async function uploaded(token: string, filename?: string) {
    const response = await upload(token, undefined, filename)
    assert.equal(response.status, 202)
    const job = (await response.json()) as Media
    const message = await eventually(
      () => seen.find((m) => m.routingKey === 'video.uploaded' && m.body.id === job.id),
      'video.uploaded',
    )
    return { job, token: message.body.token! }
  }
  /** A converter's `mp3.converted` for the job `id`. */
  const converted = (id: string) =>
    broker.publish(
      mp3Converted,
      { version: 1, id, size: 1000 },
      { messageId: `${mp3Converted.routingKey}:${id}` },
    )
  /** Converts the job as a converter would (its MP3 is `mp3`), and waits until it is ready. */
  async function convert(job: { job: Media; token: string }, mp3: Buffer) {
    const put = await fetch(`${service.url}/internal/media/${job.job.id}/mp3`, {
      method: 'PUT',
      body: mp3,
      headers: { authorization: `Bearer ${job.token}`, 'content-type': 'audio/mpeg' },
    })
    assert.equal(put.status, 204)
    await converted(job.job.id)
    await eventually(
      () => seen.find((m) => m.routingKey === 'media.ready' && m.body.media?.id === job.job.id),
      'media.ready',
    )
  }

  return {
    url: service.url,
    opsUrl: service.opsUrl,
    notice: service.notice,
    issuer,
    broker,
    seen,
    video,
    dir,
    call,
    upload,
    uploaded,
    converted,
    convert,
    /** Files left in the work folder and the blob store (none, after a refused upload). */
    async leftovers() {
      const list = async (folder: string): Promise<string[]> =>
        (await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []))
          // Not the claim on media's own work folder: that is no upload's.
          .filter((entry) => entry.isFile() && !entry.name.endsWith('.owner'))
          .map((entry) => path.join(entry.parentPath, entry.name))
      return [...(await list(work)), ...(await list(blobs))]
    },
    async close() {
      await listener.close()
      await broker.close()
      await service.close()
      await jwks.close()
      await database.drop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
export type TestMedia = Awaited<ReturnType<typeof startMedia>>
