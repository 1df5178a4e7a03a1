import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { ConversionFailed, Mp3Converted } from '@convoy/contracts'
import { deadLetterQueue } from '@convoy/platform/messaging'
import { drainQueue, eventually, makeTestVideo } from '@convoy/platform/testing'
import { VIDEOS_QUEUE } from './main.ts'
import {
  leftInWorkDir,
  metricValue,
  probeAudio,
  startConverter,
  testVideos,
  type StandInMedia,
  type TestConverter,
} from './test-helpers.ts'

// How a job ends, driven through the whole service on the embedded broker (which keeps
// RabbitMQ's contract: retries with backoff, dead letters), real ffmpeg and a stand-in media.
describe('converter jobs', () => {
  let fixture: TestConverter
  let brokerUrl: string
  let workDir: string
  let videos: Awaited<ReturnType<typeof testVideos>>
  let media: StandInMedia
  let listener: TestConverter['listener']
  let converter: TestConverter['converter']

  before(async () => {
    fixture = await startConverter({ MAX_ATTEMPTS: '3', RETRY_DELAY_MS: '20' })
    ;({ brokerUrl, workDir, media, listener, converter } = fixture)
    videos = await testVideos(fixture.dir)
  })
  after(() => fixture?.close())

  /** Messages the converter has acked so far: a job without a result is over once counted. */
  const acked = async () => {
    const text = await (await fetch(`${converter.opsUrl}/metrics`)).text()
    return metricValue(text, 'messages_consumed_total', { queue: VIDEOS_QUEUE, outcome: 'ack' }) ?? 0
  }
  /** Runs `job` to its end (acked), which must publish nothing. */
  const endsQuietly = async (job: Parameters<typeof listener.publish>[0]) => {
    const before = await acked()
    await listener.publish(job)
    await eventually(async () => (await acked()) > before, 'the job acked')
    assert.deepEqual(listener.of(job.id), [])
  }
  const failure = async (id: string) => {
    const result = await listener.next(id)
    assert.equal(result.routingKey, 'conversion.failed')
    assert.equal(result.messageId, `conversion.failed:${id}`)
    return (result.body as ConversionFailed).reason
  }

  test('converts a video: the MP3 is stored with media and mp3.converted is published once', async () => {
    const job = media.add(videos.clip)
    await listener.publish(job)
    const result = await listener.next(job.id)

    assert.equal(result.routingKey, 'mp3.converted')
    assert.equal(result.messageId, `mp3.converted:${job.id}`)
    const body = result.body as Mp3Converted
    assert.equal(body.size, (await stat(media.mp3(job.id))).size)
    assert.ok(body.size > 10_000, `an MP3 of 2 s at 128 kb/s, not ${body.size} bytes`)
    assert.ok(Math.abs(body.durationSeconds! - 2) < 0.2, `about 2 s of audio, not ${body.durationSeconds}`)
    const mp3 = await probeAudio(media.mp3(job.id))
    assert.equal(mp3.format, 'mp3')
    assert.deepEqual(mp3.streams, ['audio/mp3'])
    assert.deepEqual(media.of(job.id), ['GET 200', 'PUT 204'])
    assert.ok(
      media.requests.filter((r) => r.id === job.id).every((r) => r.authorization === `Bearer ${job.token}`),
    )
    assert.equal(listener.of(job.id).length, 1)
    assert.deepEqual(await leftInWorkDir(workDir), [], 'the work folder is removed')
  })

  test('a corrupt video fails at once with a readable reason, without retries', async () => {
    const job = media.add(videos.corrupt)
    await listener.publish(job)
    const reason = await failure(job.id)
    assert.match(reason, /^not a video: .*Invalid data found/)
    assert.doesNotMatch(reason, new RegExp(fixture.dir), 'no server path in the reason')
    assert.deepEqual(media.of(job.id), ['GET 200'])
    assert.deepEqual(await leftInWorkDir(workDir), [], 'the work folder is removed')
  })

  test('a video without sound fails with "no audio track"', async () => {
    const job = media.add(videos.silent)
    await listener.publish(job)
    assert.equal(await failure(job.id), 'no audio track')
    assert.deepEqual(media.of(job.id), ['GET 200'])
  })

  test('a job media no longer has (404) is acked and publishes nothing', async () => {
    const job = { ...media.add(videos.clip), id: randomUUID() }
    await endsQuietly(job)
    assert.deepEqual(media.of(job.id), ['GET 404'])
  })

  test('a job deleted while it was converted (404 on PUT) publishes nothing', async () => {
    const job = media.add(videos.clip, { deleteAfterDownload: true })
    await endsQuietly(job)
    assert.deepEqual(media.of(job.id), ['GET 200', 'PUT 404'])
    assert.deepEqual(await leftInWorkDir(workDir), [], 'the work folder is removed')
  })

  test('a token media refuses (401) fails the job at once', async () => {
    const job = media.add(videos.clip)
    await listener.publish({ ...job, token: 'not-the-token-of-this-job' })
    assert.match(await failure(job.id), /refused access to this job \(HTTP 401\)/)
    assert.deepEqual(media.of(job.id), ['GET 401'])
  })

  test('media unavailable twice, then back: converted on the third attempt', async () => {
    const job = media.add(videos.clip, { unavailable: 2 })
    await listener.publish(job)
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'mp3.converted')
    assert.deepEqual(media.of(job.id), ['GET 503', 'GET 503', 'GET 200', 'PUT 204'])
    assert.equal(listener.of(job.id).length, 1)
  })

  test('media always unavailable: conversion.failed after MAX_ATTEMPTS, nothing dead-lettered', async () => {
    const job = media.add(videos.clip, { unavailable: Infinity })
    await listener.publish(job)
    assert.equal(await failure(job.id), 'could not be converted after 3 attempts: media service unavailable')
    assert.deepEqual(media.of(job.id), ['GET 503', 'GET 503', 'GET 503'])
    assert.deepEqual(await drainQueue(brokerUrl, deadLetterQueue(VIDEOS_QUEUE)), [])
    assert.deepEqual(await leftInWorkDir(workDir), [], 'no work folder left')
  })

  test('/metrics counts conversions by outcome and times them', async () => {
    const series = async () => {
      const text = await (await fetch(`${converter.opsUrl}/metrics`)).text()
      return Object.fromEntries(
        (['converted', 'failed'] as const).flatMap((outcome) => [
          [`${outcome} total`, metricValue(text, 'conversions_total', { outcome })],
          [`${outcome} timed`, metricValue(text, 'conversion_duration_seconds_count', { outcome })],
          [
            `${outcome} within 10 min`,
            metricValue(text, 'conversion_duration_seconds_bucket', { outcome, le: '600' }),
          ],
        ]),
      )
    }
    const before = await series()
    const good = media.add(videos.clip)
    const bad = media.add(videos.silent)
    await Promise.all([listener.publish(good), listener.publish(bad)])
    await Promise.all([listener.next(good.id), listener.next(bad.id)])
    const after = await series()
    for (const [name, value] of Object.entries(after)) assert.equal(value, before[name]! + 1, name)
  })
})

describe('converter jobs past their time limit', () => {
  let fixture: TestConverter
  before(async () => {
    fixture = await startConverter({ CONVERSION_TIMEOUT_MS: '1', MAX_ATTEMPTS: '2', RETRY_DELAY_MS: '20' })
  })
  after(() => fixture?.close())

  test('are retried, then failed with the time limit as the reason', async () => {
    const { media, listener } = fixture
    const video = path.join(fixture.dir, 'clip.mp4')
    await makeTestVideo(video, { seconds: 1 })
    const job = media.add(video)
    await listener.publish(job)
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'conversion.failed')
    assert.equal((result.body as ConversionFailed).reason, 'conversion took longer than 0.001 s')
    assert.deepEqual(media.of(job.id), ['GET 200', 'GET 200'])
    assert.deepEqual(await leftInWorkDir(fixture.workDir), [])
  })
})

describe('converter without ffmpeg', () => {
  let fixture: TestConverter
  let ffmpeg: string // where the converter is told ffmpeg is: nothing there yet
  before(async () => {
    ffmpeg = path.join(tmpdir(), `convoy-converter-bin-${randomUUID()}`, 'ffmpeg')
    fixture = await startConverter({ MAX_ATTEMPTS: '2', RETRY_DELAY_MS: '20', FFMPEG_PATH: ffmpeg })
  })
  after(async () => {
    await fixture?.close()
    await rm(path.dirname(ffmpeg), { recursive: true, force: true })
  })

  test('says so at start and in /readyz, and holds the jobs until ffmpeg is installed, failing none', async () => {
    const { converter, media, listener } = fixture
    const problem = `ffmpeg is not installed (not found: ${ffmpeg})`
    assert.equal(
      converter.notice,
      `${problem}: videos cannot be converted until it is (apt-get install ffmpeg / brew install ffmpeg).`,
    )
    const ready = await fetch(`${converter.opsUrl}/readyz`)
    assert.equal(ready.status, 503)
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, {
      broker: true,
      videos: true,
      ffmpeg: problem,
    })

    const video = path.join(fixture.dir, 'clip.mp4')
    await makeTestVideo(video, { seconds: 1 })
    const job = media.add(video)
    await listener.publish(job)
    await eventually(() => media.of(job.id).includes('GET 200'), 'the job taken')
    // The admin installs ffmpeg where the converter was told it would be.
    await mkdir(path.dirname(ffmpeg))
    await symlink(execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim(), ffmpeg)
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'mp3.converted', 'converted, not failed')
    assert.equal(listener.of(job.id).length, 1)
    await eventually(async () => (await fetch(`${converter.opsUrl}/readyz`)).ok, 'ready once ffmpeg runs')
  })
})
