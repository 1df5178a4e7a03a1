import { legacyUserId } from '@convoy/access'
import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { conversionFailed, type Media } from '@convoy/contracts'
import { eventually, metricValue } from '@convoy/platform/testing'
import { problem, startMedia, type TestMedia } from './test-support.ts'

describe('media HTTP API', () => {
  let media: TestMedia
  let ann: string // a dispatcher
  let bob: string // another dispatcher
  let vic: string // a viewer

  before(async () => {
    media = await startMedia()
    ann = await media.issuer.token({ user: 'ann', role: 'dispatcher' })
    bob = await media.issuer.token({ user: 'bob', role: 'dispatcher' })
    vic = await media.issuer.token({ user: 'vic', role: 'viewer' })
  })
  after(() => media.close())

  const call: TestMedia['call'] = (...args) => media.call(...args)
  const upload: TestMedia['upload'] = (...args) => media.upload(...args)
  const uploaded = (token = ann) => media.uploaded(token)
  const converted: TestMedia['converted'] = (id) => media.converted(id)
  const video = () => openAsBlob(media.video)

  test('a dispatcher uploads a video: 202, the job, and video.uploaded for the converter', async () => {
    const response = await upload(ann, await video(), 'Incident on the A61.mp4')
    assert.equal(response.status, 202)
    const job = (await response.json()) as Media
    assert.equal(response.headers.get('location'), `/media/${job.id}`)
    assert.equal(job.status, 'uploaded')
    assert.equal(job.filename, 'Incident on the A61.mp4')
    assert.equal(job.size, (await video()).size)
    const message = await eventually(() => media.seen.find((m) => m.body.id === job.id), "the job's message")
    assert.equal(message.routingKey, 'video.uploaded')
    assert.equal(message.body.version, 2)
    assert.equal(message.body.ownerId, legacyUserId('ann'), "ann's id, not her name")
    assert.ok((message.body.token ?? '').length >= 32)

    assert.deepEqual(await (await call('GET', `/media/${job.id}`, ann)).json(), job)
    const list = (await (await call('GET', '/media', ann)).json()) as Media[]
    assert.equal(list[0]!.id, job.id)
  })

  test('viewers cannot upload; no token is a 401', async () => {
    const viewer = await upload(vic, await video())
    assert.equal(viewer.status, 403)
    assert.match((await problem(viewer)).detail, /admin or dispatcher/)
    assert.equal((await upload('', await video())).status, 401)
  })

  test('a file that is not a video is refused with 415, whatever its name says, and nothing is kept', async () => {
    const before = await media.leftovers()
    const text = path.join(media.dir, 'notes.mp4')
    await writeFile(text, 'these are meeting notes, not a video\n'.repeat(100))
    const response = await upload(ann, await openAsBlob(text, { type: 'video/mp4' }))
    assert.equal(response.status, 415)
    assert.match((await problem(response)).detail, /^not a video/)
    assert.deepEqual(await media.leftovers(), before)
  })

  test('a body that is not a multipart form is a 415; a form without the file field a 400', async () => {
    const json = await fetch(`${media.url}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann}`, 'content-type': 'application/json' },
      body: '{"file":"clip.mp4"}',
    })
    assert.equal(json.status, 415)
    assert.match((await problem(json)).detail, /multipart\/form-data/)
    const wrongField = await upload(ann, await video(), 'clip.mp4', 'video')
    assert.equal(wrongField.status, 400)
    assert.match((await problem(wrongField)).detail, /field "file"/)
    const empty = await call('POST', '/media', ann, new FormData())
    assert.equal(empty.status, 400)
  })

  test('a file name keeps no folder or control characters', async () => {
    const response = await upload(ann, await video(), '../../etc/\u0007bad\u0000name.mp4')
    assert.equal(response.status, 202)
    assert.equal(((await response.json()) as Media).filename, 'badname.mp4')
  })

  test('a file name loses the invisible characters that reorder or hide text (U+202E and the like)', async () => {
    // "incident‮4pm.exe" would show as "incidentexe.mp4": the right-to-left override reverses the rest.
    const spoof = 'incident\u202e4pm.exe'
    const response = await upload(ann, await video(), `${spoof}\u200b\u2066\ufeff\u2028.mp4`)
    assert.equal(response.status, 202)
    const media = (await response.json()) as Media
    assert.equal(media.filename, 'incident4pm.exe.mp4')
    assert.equal(
      ((await (await call('GET', `/media/${media.id}`, ann)).json()) as Media).filename,
      media.filename,
    )
  })

  test('another user cannot see, download or delete a job: 404, as if it did not exist', async () => {
    const { job } = await uploaded()
    for (const [method, url] of [
      ['GET', `/media/${job.id}`],
      ['GET', `/media/${job.id}/mp3`],
      ['DELETE', `/media/${job.id}`],
    ] as const) {
      const response = await call(method, url, bob)
      assert.equal(response.status, 404, `${method} ${url}`)
      await problem(response)
    }
    const list = (await (await call('GET', '/media', bob)).json()) as Media[]
    assert.ok(!list.some((m) => m.id === job.id))
    assert.equal((await call('GET', `/media/${job.id}`, ann)).status, 200, 'still there for its owner')
    assert.equal((await call('GET', '/media/not-a-uuid', ann)).status, 400)
  })

  test('the converter fetches the video with the job token, hands back the MP3, and the owner downloads it', async () => {
    const { job, token } = await uploaded()
    const internal = (method: string, suffix: string, bearer: string, body?: RequestInit['body']) =>
      fetch(`${media.url}/internal/media/${job.id}/${suffix}`, {
        method,
        body,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'audio/mpeg' },
        duplex: 'half',
      })

    assert.equal((await internal('GET', 'video', 'x'.repeat(43))).status, 401, 'another token')
    assert.equal(
      (await internal('GET', 'video', ann)).status,
      401,
      "a user's access token opens nothing here",
    )
    const fetched = await internal('GET', 'video', token)
    assert.equal(fetched.status, 200)
    assert.equal((await fetched.arrayBuffer()).byteLength, job.size)
    const converting = await eventually(
      () =>
        media.seen.find(
          (m) =>
            m.routingKey === 'media.updated' &&
            m.body.media?.id === job.id &&
            m.body.media.status === 'converting',
        ),
      'media.updated converting',
    )
    assert.deepEqual([converting.body.ownerId, converting.body.ownerName], [legacyUserId('ann'), 'ann'])
    assert.equal(((await (await call('GET', `/media/${job.id}`, ann)).json()) as Media).status, 'converting')

    const early = await call('GET', `/media/${job.id}/mp3`, ann)
    assert.equal(early.status, 409, 'not converted yet')

    const mp3 = Buffer.from('ID3 pretend this is an MP3 of the incident')
    assert.equal((await internal('PUT', 'mp3', token, mp3)).status, 204)
    await converted(job.id)
    const ready = await eventually(
      () => media.seen.find((m) => m.routingKey === 'media.ready' && m.body.media?.id === job.id),
      'media.ready',
    )
    assert.equal(ready.body.media!.status, 'ready')

    const download = await call('GET', `/media/${job.id}/mp3`, ann)
    assert.equal(download.status, 200)
    assert.equal(download.headers.get('content-type'), 'audio/mpeg')
    assert.equal(
      download.headers.get('content-disposition'),
      `attachment; filename="incident.mp3"; filename*=UTF-8''incident.mp3`,
    )
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), mp3)

    // A redelivered result changes nothing and announces the same event again (same message id).
    await converted(job.id)
    await eventually(
      () => media.seen.filter((m) => m.messageId === ready.messageId).length === 2,
      'media.ready announced again',
    )
    assert.equal(((await (await call('GET', `/media/${job.id}`, ann)).json()) as Media).status, 'ready')
  })

  test("measures each job's way from upload to ready or failed, once, and the bytes uploaded", async () => {
    const jobs = (outcome: string) =>
      metricValue(media.opsUrl, 'media_job_duration_seconds_count', `outcome="${outcome}"`)
    const bytes = () => metricValue(media.opsUrl, 'media_upload_bytes_total')
    const before = { ready: await jobs('ready'), failed: await jobs('failed'), bytes: await bytes() }
    const first = await uploaded()
    const second = await uploaded()
    assert.equal(await bytes(), before.bytes + 2 * (await video()).size)
    await converted(first.job.id)
    await converted(first.job.id) // redelivered: the same job, not a second
    await media.broker.publish(conversionFailed, { version: 1, id: second.job.id, reason: 'no audio track' })
    const announced = (routingKey: string, id: string) =>
      media.seen.filter((m) => m.routingKey === routingKey && m.body.media?.id === id).length
    await eventually(
      () => announced('media.ready', first.job.id) === 2 && announced('media.failed', second.job.id) === 1,
      'both results handled',
    )
    assert.equal(await jobs('ready'), before.ready + 1)
    assert.equal(await jobs('failed'), before.failed + 1)
  })

  test('counts the tokens it refuses on /metrics, by reason', async () => {
    const refused = (reason: string) =>
      metricValue(media.opsUrl, 'auth_token_verification_failures_total', `reason="${reason}"`)
    const before = { expired: await refused('expired'), claims: await refused('claims') }
    const expired = await media.issuer.token({ user: 'ann', role: 'dispatcher', ttlSeconds: -120 })
    const foreign = await media.issuer.token({ user: 'ann', role: 'dispatcher', aud: 'another-api' })
    assert.equal((await call('GET', '/media', expired)).status, 401)
    assert.equal((await call('GET', '/media', foreign)).status, 401)
    assert.equal((await call('GET', '/media', ann)).status, 200)
    assert.equal(await refused('expired'), before.expired + 1)
    assert.equal(await refused('claims'), before.claims + 1)
  })

  test('counts the jobs under way by state on /metrics, from the database: uploaded, then converting, then none', async () => {
    const jobs = (state: string) => metricValue(media.opsUrl, 'media_jobs', `state="${state}"`)
    const before = { uploaded: await jobs('uploaded'), converting: await jobs('converting') }
    const { job, token } = await uploaded()
    assert.deepEqual(
      { uploaded: await jobs('uploaded'), converting: await jobs('converting') },
      { uploaded: before.uploaded + 1, converting: before.converting },
    )
    const fetched = await fetch(`${media.url}/internal/media/${job.id}/video`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(fetched.status, 200)
    await fetched.arrayBuffer()
    assert.deepEqual(
      { uploaded: await jobs('uploaded'), converting: await jobs('converting') },
      { uploaded: before.uploaded, converting: before.converting + 1 },
      'the converter took it',
    )
    await media.broker.publish(conversionFailed, { version: 1, id: job.id, reason: 'no audio track' })
    await eventually(async () => (await jobs('converting')) === before.converting, 'the job ended')
    assert.equal(await jobs('uploaded'), before.uploaded)
  })

  test('a failed conversion ends the job failed with its reason, and media.failed is announced', async () => {
    const { job } = await uploaded()
    await media.broker.publish(conversionFailed, {
      version: 1,
      id: job.id,
      reason: 'no audio track',
    })
    const failed = await eventually(
      () => media.seen.find((m) => m.routingKey === 'media.failed' && m.body.media?.id === job.id),
      'media.failed',
    )
    assert.equal(failed.body.media!.status, 'failed')
    const now = (await (await call('GET', `/media/${job.id}`, ann)).json()) as Media
    assert.equal(now.status, 'failed')
    assert.equal(now.error, 'no audio track')
    // A late success does not turn a failed job ready.
    const handled = () => metricValue(media.opsUrl, 'messages_consumed_total', 'queue="media.results"')
    const before = await handled()
    await converted(job.id)
    await eventually(async () => (await handled()) > before, 'the late result handled')
    assert.equal(((await (await call('GET', `/media/${job.id}`, ann)).json()) as Media).status, 'failed')
  })

  test('deleting a job removes it and both files; a late MP3 for it is removed too', async () => {
    const { job, token } = await uploaded()
    const files = () => media.leftovers().then((all) => all.filter((f) => f.includes(job.id)))
    assert.equal((await files()).length, 1, 'the video')
    assert.equal((await call('DELETE', `/media/${job.id}`, ann)).status, 204)
    assert.equal((await call('GET', `/media/${job.id}`, ann)).status, 404)
    assert.equal((await call('DELETE', `/media/${job.id}`, ann)).status, 404)
    assert.deepEqual(await files(), [])

    const put = await fetch(`${media.url}/internal/media/${job.id}/mp3`, {
      method: 'PUT',
      body: 'mp3',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/mpeg' },
    })
    assert.equal(put.status, 404, 'the converter learns the job is gone')
    await converted(job.id)
    await eventually(async () => (await files()).length === 0, 'the late MP3 removed')
    assert.ok(!media.seen.some((m) => m.routingKey === 'media.ready' && m.body.media?.id === job.id))
  })
})

describe('media without ffprobe', () => {
  let media: TestMedia
  let ffprobe: string
  before(async () => {
    ffprobe = path.join(tmpdir(), `convoy-no-ffprobe-${process.pid}`, 'ffprobe')
    media = await startMedia({ FFPROBE_PATH: ffprobe })
  })
  after(() => media.close())

  test('says so at start and in /readyz, and refuses uploads with 503 and the reason', async () => {
    const problem = `ffprobe is not installed (not found: ${ffprobe})`
    assert.equal(
      media.notice,
      `${problem}: uploads are refused until it is (apt-get install ffmpeg / brew install ffmpeg).`,
    )
    const ready = await fetch(`${media.opsUrl}/readyz`)
    assert.equal(ready.status, 503)
    const { checks } = (await ready.json()) as { checks: Record<string, unknown> }
    assert.equal(checks.ffmpeg, problem)

    const form = new FormData()
    form.append('file', await openAsBlob(media.video), 'incident.mp4')
    const token = await media.issuer.token({ user: 'ann', role: 'dispatcher' })
    const response = await fetch(`${media.url}/media`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(response.status, 503)
    assert.match(
      ((await response.json()) as { detail: string }).detail,
      /ffprobe \(ffmpeg\) is not installed/,
    )
    assert.deepEqual(await media.leftovers(), [], 'nothing kept')
  })
})
