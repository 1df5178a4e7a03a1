/**
 * The media pipeline: (1) uploads of a large video through the gateway and straight to media
 * (MB/s, and the RSS of media and the gateway while uploading vs idle), and a 1 GB upload against
 * the 200 MB limit; (2) conversions per minute of a 30 s 720p clip with one and with two converter
 * processes on one queue; (3) the time from an upload's 202 to its owner's in-app notification
 * (live feed) and email (SMTP).
 *
 *   node bench/media.ts [--runs=3] [--large-mb=150] [--clip-mbps=5] [--huge-mb=1024]
 *     [--limit-mb=200] [--limit-tries=3] [--converters=1,2] [--window=60] [--warmup=5]
 *     [--backlog=4] [--lanes=2] [--notifications=50] [--latency-seconds=120] [--gap=250]
 *     [--quiet-wait=30] [--max-others=20] [--attempts=2]
 *     [--media-node-args='--cpu-prof ...'] [--gateway-node-args=...]
 *
 * Runs auth, media, notification, the gateway and converters as their own processes on scratch
 * databases, a scratch vhost, a temp blob folder and an SMTP catcher in this process. Runs in the
 * order 1, 3, 2: uploads before any converter exists (their jobs are then deleted), the latency
 * with one converter and an empty queue, the throughput last. Before each measurement it waits
 * (up to --quiet-wait seconds) for the shared machine to be idle, and reports what other
 * processes used meanwhile; a conversion window during which they used more than --max-others %
 * of a core is measured again (up to --attempts windows).
 */
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { makeTestVideo } from '@convoy/platform/testing'
import { parseArgs } from './lib/args.ts'
import { runBench } from './lib/cleanup.ts'
import { openLiveFeed } from './lib/live-feed.ts'
import { conversionsTable, jobCounter, measureConversions } from './lib/media-conversions.ts'
import { latencyTable, measureLatency } from './lib/media-latency.ts'
import { measureOverLimit, measureUploads, overLimitTable, uploadsTable } from './lib/media-uploads.ts'
import { awaitQuietMachine, round1 } from './lib/proc.ts'
import { machineInfo, progress, publish } from './lib/report.ts'
import { benchStack } from './lib/stack.ts'
import { loopClip, makeDashcamClip } from './lib/videos.ts'

const options = parseArgs({
  runs: 3,
  'large-mb': 150,
  'clip-mbps': 5,
  'huge-mb': 1024,
  'limit-mb': 200,
  'limit-tries': 3,
  converters: '1,2',
  window: 60,
  warmup: 5,
  backlog: 4,
  lanes: 2,
  notifications: 50,
  'latency-seconds': 120,
  gap: 250,
  'quiet-wait': 30,
  'max-others': 20,
  attempts: 2,
  /** Extra Node options for media / the gateway, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`). */
  'media-node-args': '',
  'gateway-node-args': '',
})
const nodeArgs = (text: string) => ({ nodeArgs: text.split(' ').filter(Boolean) })

async function quiet(what: string) {
  const busy = await awaitQuietMachine(20, options['quiet-wait'] * 1000)
  if (busy > 20) progress(`machine still ${busy}% busy with other work; measuring ${what} anyway`)
  return busy
}

runBench(async () => {
  const machine = await machineInfo()
  const stack = await benchStack()
  const videos = path.join(await stack.dataDir(), 'videos')
  await mkdir(videos)
  progress(`making a 30 s 720p clip at ${options['clip-mbps']} Mbit/s, looped to ≥ ${options['large-mb']} MB`)
  const clip = path.join(videos, 'clip-30s-720p.mp4')
  const small = path.join(videos, 'clip-2s.mp4')
  await makeDashcamClip(clip, { seconds: 30, width: 1280, height: 720, mbps: options['clip-mbps'] })
  await makeTestVideo(small, { seconds: 2 })
  const clipSize = (await stat(clip)).size
  const large = path.join(videos, 'large.mp4')
  const largeSize = await loopClip(clip, large, Math.ceil((options['large-mb'] * 1e6) / clipSize))

  progress('starting auth, media, notification and the gateway')
  await stack.start('auth')
  // The gateway refuses a declared oversize upload itself: both get the same limit.
  const limit = { MAX_UPLOAD_BYTES: String(options['limit-mb'] * 1024 ** 2) }
  await stack.start('media', limit, nodeArgs(options['media-node-args']))
  await stack.start('notification')
  const gateway = await stack.start('gateway', limit, nodeArgs(options['gateway-node-args']))
  const token = await stack.token()
  const feed = await openLiveFeed(gateway, token)

  // No converter yet: the uploads' jobs wait in no queue and are deleted after each run.
  const uploads = await measureUploads(stack, token, {
    file: large,
    size: largeSize,
    runs: options.runs,
    quiet,
  })
  const overLimit = await measureOverLimit(stack, token, {
    mib: options['huge-mb'],
    tries: options['limit-tries'],
    quiet,
  })

  await stack.start('converter')
  const latency = await measureLatency(stack, token, small, feed, await stack.mail(), {
    uploads: options.notifications,
    seconds: options['latency-seconds'],
    gapMs: options.gap,
    quiet,
  })

  const jobs = jobCounter(feed)
  const conversions = []
  for (const converters of options.converters.split(',').map(Number)) {
    conversions.push(
      await measureConversions(stack, jobs, token, {
        converters,
        clip,
        backlog: options.backlog,
        lanes: options.lanes,
        warmupSeconds: options.warmup,
        windowSeconds: options.window,
        maxOthers: options['max-others'],
        attempts: options.attempts,
        quiet,
      }),
    )
  }

  const heading =
    `Large upload ${round1(largeSize / 1e6)} MB (a 30 s 720p clip of ${round1(clipSize / 1e6)} MB looped); ` +
    `RSS idle: media ${uploads.rssIdleMiB.media} MiB, gateway ${uploads.rssIdleMiB.gateway} MiB`
  const tables = [
    uploadsTable(uploads),
    overLimitTable(overLimit),
    conversionsTable(conversions),
    latencyTable(latency),
  ]
  await publish('media', [heading, ...tables].join('\n\n'), {
    benchmark: 'media',
    machine,
    options,
    videos: { clipBytes: clipSize, largeBytes: largeSize },
    uploads,
    overLimit,
    conversions,
    latency,
  })
})
