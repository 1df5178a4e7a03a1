import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { RunningService } from '@convoy/platform/lifecycle'
import { deadLetterQueue, retryQueue } from '@convoy/platform/messaging'
import { createTestVhost, drainQueue, eventually, queueCounts } from '@convoy/platform/testing'
import { start, VIDEOS_QUEUE } from './main.ts'
import { metricValue, resultsListener, standInMedia, testVideos, type StandInMedia } from './test-helpers.ts'

// The converter process on a real RabbitMQ: readiness, dead letters, retries that end, several
// processes sharing the queue, and a graceful shutdown.
describe('converter on RabbitMQ', () => {
  let vhost: { url: string; drop(): Promise<void> }
  let dir: string
  let videos: Awaited<ReturnType<typeof testVideos>>
  let media: StandInMedia
  let listener: Awaited<ReturnType<typeof resultsListener>>
  const running = new Set<RunningService & { opsUrl: string }>()

  const startConverter = async () => {
    const converter = await start({
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      AMQP_URL: vhost.url,
      MEDIA_URL: media.url,
      MAX_ATTEMPTS: '3',
      RETRY_DELAY_MS: '50',
      WORK_DIR: path.join(dir, 'work'),
    })
    running.add(converter)
    await eventually(async () => (await fetch(`${converter.opsUrl}/readyz`)).ok, 'converter ready')
    return converter
  }
  const stop = async (converter: RunningService) => {
    running.delete(converter as RunningService & { opsUrl: string })
    await converter.close()
  }
  const metrics = async (converter: { opsUrl: string }) => (await fetch(`${converter.opsUrl}/metrics`)).text()
  const converted = async (converter: { opsUrl: string }) =>
    metricValue(await metrics(converter), 'conversions_total', { outcome: 'converted' }) ?? 0
  /** True once the queue, its retry queue and its dead letters are all empty. */
  const allEmpty = async () => {
    for (const queue of [VIDEOS_QUEUE, retryQueue(VIDEOS_QUEUE), deadLetterQueue(VIDEOS_QUEUE)]) {
      const counts = await queueCounts(vhost.url, queue)
      if (counts.ready + counts.unacked > 0) return false
    }
    return true
  }

  before(async () => {
    vhost = await createTestVhost()
    dir = await mkdtemp(path.join(tmpdir(), 'converter-test-'))
    videos = await testVideos(dir)
    media = await standInMedia(dir)
    listener = await resultsListener(vhost.url)
  })
  after(async () => {
    for (const converter of running) await converter.close()
    await listener?.close()
    await media?.close()
    await vhost?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  test('is ready once it consumes its queue, converts, and shows it in /metrics', async () => {
    const converter = await startConverter()
    const ready = await fetch(`${converter.opsUrl}/readyz`)
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { broker: true, videos: true, ffmpeg: true },
    })

    const job = media.add(videos.clip)
    await listener.publish(job)
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'mp3.converted')
    assert.equal(result.messageId, `mp3.converted:${job.id}`)

    const text = await metrics(converter)
    assert.equal(metricValue(text, 'conversions_total', { outcome: 'converted' }), 1)
    assert.equal(metricValue(text, 'conversions_total', { outcome: 'failed' }), 0)
    assert.equal(metricValue(text, 'conversion_duration_seconds_count', { outcome: 'converted' }), 1)
    assert.ok(metricValue(text, 'conversion_duration_seconds_sum', { outcome: 'converted' })! > 0)
    await eventually(allEmpty, 'the job acked')
  })

  test('an invalid message is dead-lettered by the platform, never handled', async () => {
    const id = crypto.randomUUID()
    const { token: _, ...tokenless } = media.add(videos.clip)
    await listener.publish({ ...tokenless, id } as unknown as Parameters<typeof listener.publish>[0])
    await eventually(
      async () => (await queueCounts(vhost.url, deadLetterQueue(VIDEOS_QUEUE))).ready === 1,
      'the message in converter.videos.dead',
    )
    const [dead] = await drainQueue(vhost.url, deadLetterQueue(VIDEOS_QUEUE))
    assert.match(String(dead?.headers['x-convoy-death-reason']), /^invalid body: .*token/)
    assert.deepEqual(media.of(id), [])
  })

  test('media always unavailable: conversion.failed after MAX_ATTEMPTS, and every queue ends empty', async () => {
    const job = media.add(videos.clip, { unavailable: Infinity })
    await listener.publish(job)
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'conversion.failed')
    assert.deepEqual(result.body, {
      version: 1,
      id: job.id,
      reason: 'could not be converted after 3 attempts: media service unavailable',
    })
    await eventually(allEmpty, 'no message left: not in the queue, not retrying, not dead')
    assert.deepEqual(media.of(job.id), ['GET 503', 'GET 503', 'GET 503'])
    assert.equal(listener.of(job.id).length, 1)
  })

  test('two converters on the queue share the jobs', async () => {
    const [first] = running
    const second = await startConverter()
    const before = { first: await converted(first!), second: await converted(second) }
    const jobs = Array.from({ length: 6 }, () => media.add(videos.clip))
    await Promise.all(jobs.map((job) => listener.publish(job)))
    await eventually(() => jobs.every((job) => listener.of(job.id).length > 0), 'every job converted', 60_000)

    const byFirst = (await converted(first!)) - before.first
    const bySecond = (await converted(second)) - before.second
    assert.equal(byFirst + bySecond, 6)
    assert.ok(byFirst > 0 && bySecond > 0, `both converted some: ${byFirst} and ${bySecond}`)
    assert.ok(jobs.every((job) => listener.of(job.id).length === 1))
    await stop(second)
  })

  test('closing lets the conversion in flight finish, acks it, and reports not ready meanwhile', async () => {
    const [converter] = running
    let arrived = false
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const job = media.add(videos.clip, { hold: () => ((arrived = true), held) })
    await listener.publish(job)
    await eventually(() => arrived, 'the video requested')

    const closing = stop(converter!)
    await eventually(async () => (await fetch(`${converter!.opsUrl}/readyz`)).status === 503, 'not ready')
    release()
    await closing
    const result = await listener.next(job.id)
    assert.equal(result.routingKey, 'mp3.converted')
    await eventually(allEmpty, 'the job acked before the process stopped')
  })
})
