import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { openAsBlob } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { mp3Converted, type Media } from '@convoy/contracts'
import { eventually } from '@convoy/platform/testing'
import { startMedia, type TestMedia } from './test-support.ts'

// No converter runs here: every job's conversion is lost, as when its result was dead-lettered.
describe('media sweeper', () => {
  let media: TestMedia
  let ann: string
  const annId = randomUUID()
  before(async () => {
    media = await startMedia({ STUCK_JOB_AFTER_MS: '1500', SWEEP_EVERY_MS: '100' })
    ann = await media.issuer.token({ user: 'ann', userId: annId, role: 'dispatcher' })
  })
  after(() => media.close())

  const get = (url: string, token = ann) =>
    fetch(`${media.url}${url}`, { headers: { authorization: `Bearer ${token}` } })
  async function upload() {
    const form = new FormData()
    form.append('file', await openAsBlob(media.video), 'lost.mp4')
    const response = await fetch(`${media.url}/media`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ann}` },
    })
    assert.equal(response.status, 202)
    return (await response.json()) as Media
  }
  const failed = (id: string) =>
    eventually(
      async () => {
        const job = (await (await get(`/media/${id}`)).json()) as Media
        return job.status === 'failed' ? job : null
      },
      'the job failed',
      15_000,
    )

  test('a job whose conversion was lost ends failed after STUCK_JOB_AFTER_MS, and its owner is told why', async () => {
    const job = await upload()
    const ended = await failed(job.id)
    assert.equal(ended.error, 'the conversion did not finish within 1.5 s; upload the video again')
    const waited = Date.parse(ended.updatedAt) - Date.parse(job.createdAt)
    assert.ok(waited >= 1500, `failed ${waited} ms after the upload, not before the limit`)
    // media.failed is what notification emails the owner about.
    const event = await eventually(
      () => media.seen.find((m) => m.routingKey === 'media.failed' && m.body.media?.id === job.id),
      'media.failed',
    )
    assert.equal(event.body.ownerId, annId)
    assert.equal(event.body.ownerName, 'ann')
  })

  test('a result that comes after that changes nothing: the job stays failed and keeps no MP3', async () => {
    const job = await upload()
    const { token } = (
      await eventually(
        () => media.seen.find((m) => m.routingKey === 'video.uploaded' && m.body.id === job.id),
        'video.uploaded',
      )
    ).body
    await failed(job.id)
    // A converter that gets to it late finds nothing to convert…
    const video = await fetch(`${media.url}/internal/media/${job.id}/video`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(video.status, 404)
    // …and an MP3 announced anyway does not make it ready.
    await media.broker.publish(
      mp3Converted,
      { version: 1, id: job.id, size: 1000 },
      { messageId: `${mp3Converted.routingKey}:${job.id}` },
    )
    await eventually(
      () => media.seen.some((m) => m.routingKey === mp3Converted.routingKey && m.body.id === job.id),
      'mp3.converted delivered',
    )
    await eventually(
      async () => (await media.leftovers()).every((f) => !f.includes(`mp3/${job.id}`)),
      'no MP3',
    )
    assert.equal(((await (await get(`/media/${job.id}`)).json()) as Media).status, 'failed')
    assert.equal((await get(`/media/${job.id}/mp3`)).status, 409)
    assert.equal(media.seen.filter((m) => m.routingKey === 'media.ready').length, 0)
  })
})

test('a blob file a crash cut short goes at the next start once an hour old; one being written stays', async () => {
  const store = await mkdtemp(path.join(tmpdir(), 'convoy-media-store-'))
  const folder = path.join(store, 'videos')
  await mkdir(folder)
  const cut = `.${randomUUID()}.${randomUUID()}.tmp`
  const writing = `.${randomUUID()}.${randomUUID()}.tmp`
  await writeFile(path.join(folder, cut), 'half a video')
  await writeFile(path.join(folder, writing), 'a video being copied')
  const longAgo = new Date(Date.now() - 3_700_000)
  await utimes(path.join(folder, cut), longAgo, longAgo)
  // Media starts on that store (another replica may be writing to it): its first sweep looks.
  const media = await startMedia({ BLOB_STORE_URL: pathToFileURL(store).href, SWEEP_EVERY_MS: '100' })
  try {
    await eventually(async () => !(await readdir(folder)).includes(cut), 'the cut blob removed')
    assert.deepEqual(await readdir(folder), [writing])
  } finally {
    await media.close()
    await rm(store, { recursive: true, force: true })
  }
})
