/**
 * Part (2) of the media benchmark: conversions per minute with N converter processes on one
 * queue, the queue kept non-empty by uploads straight to media (a backlog made before the
 * converters start, topped up while they run); the jobs' ends are counted on the live feed.
 */
import type { Media } from '@convoy/contracts'
import { sleep } from './args.ts'
import { LatencyHistogram } from './histogram.ts'
import type { LiveFeed } from './live-feed.ts'
import type { Quiet } from './media-uploads.ts'
import { round1, startCpuMeter } from './proc.ts'
import { difference, quantile, readHistogram } from './prom-histogram.ts'
import { markdownTable, progress } from './report.ts'
import { metricValue, type RunningService } from './services.ts'
import { stackCpuGroups, type BenchStack } from './stack.ts'
import { upload } from './upload.ts'

/** Processes whose exited children (ffmpeg, ffprobe) count as theirs. */
const EXITED_CHILDREN = ['converters', 'media']

/** Jobs uploaded straight to media and their ends on the live feed: how many wait or convert. */
export function jobCounter(feed: LiveFeed) {
  const ids = new Set<string>()
  const convertingAt = new Map<string, number>()
  let accepted = 0
  let finished = 0
  let perJob = new LatencyHistogram()
  feed.listen((frame, at) => {
    if (frame.type !== 'media' || !ids.has(frame.media.id)) return
    if (frame.media.status === 'converting') convertingAt.set(frame.media.id, at)
    if (frame.media.status === 'ready' || frame.media.status === 'failed') {
      finished++
      const started = convertingAt.get(frame.media.id)
      if (started !== undefined) perJob.add(at - started)
    }
  })
  return {
    pending: () => accepted - finished,
    accepted: () => accepted,
    /** converting → ready on the feed, per job, since the last call. */
    takePerJob() {
      const taken = perJob
      perJob = new LatencyHistogram()
      return taken
    },
    async upload(mediaUrl: string, token: string, clip: string) {
      const result = await upload(`${mediaUrl}/media`, token, {
        file: clip,
        filename: `clip ${accepted}.mp4`,
      })
      if (result.status !== 202) throw new Error(`upload answered ${result.status}: ${result.body}`)
      ids.add((JSON.parse(result.body) as Media).id)
      accepted++
    },
  }
}

export async function measureConversions(
  stack: BenchStack,
  jobs: JobCounter,
  token: string,
  settings: {
    converters: number
    clip: string
    /** Jobs kept waiting beyond one per converter. */
    backlog: number
    /** Uploads at once that keep the queue full. */
    lanes: number
    warmupSeconds: number
    windowSeconds: number
    /** A window during which other processes used more than this (% of a core) is measured again… */
    maxOthers: number
    /** …up to this many times in all. */
    attempts: number
    quiet: Quiet
  },
) {
  const { converters: count, clip, quiet } = settings
  const mediaUrl = stack.services.media!.url
  await Promise.all([stack.stop('converter'), ...[...stack.replicas.values()].map((c) => c.stop())])
  // Waiting jobs before the converters start, so the queue is never empty.
  const target = count + settings.backlog
  while (jobs.pending() < target) await jobs.upload(mediaUrl, token, clip)
  await quiet(`${count} converter(s)`)
  progress(
    `${count} converter process(es): ${settings.warmupSeconds} s warm-up, ${settings.windowSeconds} s window`,
  )
  const started: RunningService[] = [await stack.start('converter')]
  for (let i = 1; i < count; i++) started.push(await stack.startReplica('converter'))
  const urls = started.map((s) => s.opsUrl)

  let stopping = false
  const laneErrors: unknown[] = []
  const lanes = Array.from({ length: settings.lanes }, async () => {
    try {
      while (!stopping) {
        if (jobs.pending() >= target) await sleep(20)
        else await jobs.upload(mediaUrl, token, clip)
      }
    } catch (error) {
      laneErrors.push(error)
    }
  })
  await sleep(settings.warmupSeconds * 1000)

  const converted = () =>
    Promise.all(urls.map((url) => metricValue(url, 'conversions_total', 'outcome="converted"'))).then((v) =>
      v.reduce((a, b) => a + b, 0),
    )
  const failed = () =>
    Promise.all(urls.map((url) => metricValue(url, 'conversions_total', 'outcome="failed"'))).then((v) =>
      v.reduce((a, b) => a + b, 0),
    )
  const durations = () => readHistogram(urls, 'conversion_duration_seconds', 'outcome="converted"')
  /** One window with the converters running; measured again when other processes disturbed it. */
  async function measureWindow() {
    const before = { converted: await converted(), failed: await failed(), durations: await durations() }
    const acceptedBefore = jobs.accepted()
    jobs.takePerJob()
    let samples = 0
    let empty = 0
    const emptyTimer = setInterval(() => {
      samples++
      if (jobs.pending() <= count) empty++
    }, 100)
    const groups = stackCpuGroups(stack)
    const cpu = startCpuMeter(groups, EXITED_CHILDREN)
    // The converters' own Node processes alone: the rest of their figure is ffprobe and ffmpeg.
    const converterNode = startCpuMeter({ converters: groups.converters! })
    const windowStart = performance.now()
    await sleep(settings.windowSeconds * 1000)
    const usage = cpu.stop()
    const nodeOnly = converterNode.stop().cores.converters!
    const seconds = (performance.now() - windowStart) / 1000
    clearInterval(emptyTimer)
    const window = difference(await durations(), before.durations)
    const done = (await converted()) - before.converted
    const median = quantile(0.5, window)
    return {
      converters: count,
      seconds: round1(seconds),
      converted: done,
      failed: (await failed()) - before.failed,
      perMinute: round1((60 * done) / seconds),
      durationMedianSeconds: Math.round(median.value * 100) / 100,
      /** The histogram's bucket holding the median: as precise as it gets. */
      durationMedianBucket: median.bucket,
      durationMeanSeconds: Math.round((100 * window.sum) / Math.max(1, window.count)) / 100,
      convertingToReadyOnFeed: jobs.takePerJob().summary(),
      uploadsInWindow: jobs.accepted() - acceptedBefore,
      queueEmptyPercent: round1((100 * empty) / Math.max(1, samples)),
      cpuPercentOfOneCore: usage.cores,
      /** Of the converters' CPU, what their Node processes used (the rest: ffprobe and ffmpeg). */
      converterNodePercent: nodeOnly,
      machineBusyPercent: usage.machineBusyPercent,
      cpuOthersPercent: usage.othersPercent,
      cpuOthersTop: usage.others,
      /** CPU seconds each process group spent per converted job. */
      cpuSecondsPerJob: Object.fromEntries(
        Object.entries({ ...usage.cores, 'converters (Node only)': nodeOnly }).map(([group, percent]) => [
          group,
          Math.round((1000 * percent * seconds) / 100 / Math.max(1, done)) / 1000,
        ]),
      ),
    }
  }

  let result = await measureWindow()
  const disturbed = []
  for (
    let attempt = 2;
    attempt <= settings.attempts && result.cpuOthersPercent > settings.maxOthers;
    attempt++
  ) {
    progress(`other processes used ${result.cpuOthersPercent}% of a core during the window: measuring again`)
    disturbed.push({
      perMinute: result.perMinute,
      cpuOthersPercent: result.cpuOthersPercent,
      top: result.cpuOthersTop,
    })
    await quiet(`${count} converter(s), again`)
    result = await measureWindow()
  }
  stopping = true
  await Promise.all(lanes)
  if (laneErrors.length > 0) throw new Error('uploads failed during the window', { cause: laneErrors[0] })
  return { ...result, disturbedWindows: disturbed }
}

export type JobCounter = ReturnType<typeof jobCounter>

export function conversionsTable(results: Array<Awaited<ReturnType<typeof measureConversions>>>): string {
  return markdownTable(
    [
      'converters',
      'conversions/min',
      'converted (failed)',
      'duration median (its bucket) / mean',
      'converting→ready p50',
      'queue empty',
      'CPU converters (their Node) / media / others',
    ],
    results.map((c) => [
      c.converters,
      `**${c.perMinute}**`,
      `${c.converted} (${c.failed})`,
      `${c.durationMedianSeconds} s (${c.durationMedianBucket.join('–')} s) / ${c.durationMeanSeconds} s`,
      `${c.convertingToReadyOnFeed.p50Ms} ms`,
      `${c.queueEmptyPercent}%`,
      `${c.cpuPercentOfOneCore.converters}% (${c.converterNodePercent}%) / ${c.cpuPercentOfOneCore.media}% / ${c.cpuOthersPercent}%`,
    ]),
  )
}
