/**
 * Part (3) of the media benchmark: uploads through the gateway one after another, each awaited
 * to its end, timing from the 202 to the job's frames on the owner's live feed (converting,
 * ready, the notification) and to the email at the SMTP catcher.
 */
import type { Media } from '@convoy/contracts'
import { eventually, type MailCatcher } from '@convoy/platform/testing'
import { sleep } from './args.ts'
import { LatencyHistogram } from './histogram.ts'
import type { LiveFeed } from './live-feed.ts'
import type { Quiet } from './media-uploads.ts'
import { startCpuMeter } from './proc.ts'
import { markdownTable, progress } from './report.ts'
import { stackCpuGroups, type BenchStack } from './stack.ts'
import { upload } from './upload.ts'

export async function measureLatency(
  stack: BenchStack,
  token: string,
  clip: string,
  feed: LiveFeed,
  mail: MailCatcher,
  { uploads, seconds, gapMs, quiet }: { uploads: number; seconds: number; gapMs: number; quiet: Quiet },
) {
  await quiet('notification latency')
  const gatewayUrl = stack.services.gateway!.url
  const seen = new Map<string, { converting?: number; ready?: number; notification?: number }>()
  const stamp = (id: string) => seen.get(id) ?? seen.set(id, {}).get(id)!
  const unlisten = feed.listen((frame, at) => {
    if (frame.type === 'media' && (frame.media.status === 'converting' || frame.media.status === 'ready'))
      stamp(frame.media.id)[frame.media.status] ??= at
    if (frame.type === 'notification' && frame.notification.mediaId)
      stamp(frame.notification.mediaId).notification ??= at
  })
  // The catcher keeps what it receives: a new mail is stamped within 2 ms.
  const mailAt = new Map<string, number>()
  let stamped = mail.mails.length
  const mailTimer = setInterval(() => {
    for (; stamped < mail.mails.length; stamped++)
      mailAt.set(mail.mails[stamped]!.headers.subject ?? '', performance.now())
  }, 2)
  const stages = {
    converting: new LatencyHistogram(),
    ready: new LatencyHistogram(),
    notification: new LatencyHistogram(),
    email: new LatencyHistogram(),
  }
  /** Each upload's times, in order: a slow first one (cold connections) shows. */
  const perUpload: Array<Record<string, number>> = []
  const cpu = startCpuMeter(stackCpuGroups(stack), ['converters', 'media'])
  const deadline = Date.now() + seconds * 1000
  progress(`${uploads} uploads one after another, each awaited to its email`)
  for (let i = 0; i < uploads && Date.now() < deadline; i++) {
    const filename = `latency ${i}.mp4`
    const result = await upload(`${gatewayUrl}/api/media`, token, { file: clip, filename })
    if (result.status !== 202) throw new Error(`upload answered ${result.status}: ${result.body}`)
    const { id } = JSON.parse(result.body) as Media
    const subject = `Your MP3 of ${filename} is ready`
    await eventually(
      () => seen.get(id)?.notification !== undefined && mailAt.has(subject),
      `the notification and email about ${filename}`,
      30_000,
    )
    const times = { ...seen.get(id)!, email: mailAt.get(subject)! }
    const elapsed = Object.fromEntries(
      (['converting', 'ready', 'notification', 'email'] as const).map((stage) => {
        const ms = Math.round(times[stage]! - result.answeredAt!)
        stages[stage].add(ms)
        return [stage, ms]
      }),
    )
    perUpload.push(elapsed)
    await sleep(gapMs)
  }
  clearInterval(mailTimer)
  unlisten()
  const usage = cpu.stop()
  return {
    stages: Object.fromEntries(Object.entries(stages).map(([stage, h]) => [stage, h.summary()])),
    cpuPercentOfOneCore: usage.cores,
    machineBusyPercent: usage.machineBusyPercent,
    cpuOthersPercent: usage.othersPercent,
    cpuOthersTop: usage.others,
    perUpload,
  }
}

export function latencyTable(latency: Awaited<ReturnType<typeof measureLatency>>): string {
  return markdownTable(
    ['from the 202 to', 'samples', 'p50', 'p90', 'p99', 'max'],
    Object.entries(latency.stages).map(([stage, s]) => [
      stage,
      s.samples,
      `${s.p50Ms} ms`,
      `${s.p90Ms} ms`,
      `${s.p99Ms} ms`,
      `${s.maxMs} ms`,
    ]),
  )
}
