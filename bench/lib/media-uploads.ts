/**
 * Part (1) of the media benchmark: a large video uploaded through the gateway and straight to
 * media, timed to the 202, with the RSS of both sampled every 50 ms; and a body far over the limit.
 */
import type { Media } from '@convoy/contracts'
import { median, sleep } from './args.ts'
import { round1, rssMiB, startCpuMeter, startRssSampler } from './proc.ts'
import { markdownTable, progress } from './report.ts'
import { stackCpuGroups, type BenchStack } from './stack.ts'
import { upload } from './upload.ts'

/** Waits for the shared machine to be idle before a measurement; how busy it was. */
export type Quiet = (what: string) => Promise<number>

interface UploadRun {
  path: string
  run: number
  /** The file's size over the time from the request's start to the 202. */
  MBPerSec: number
  /** The file's size over the time until the last byte was flushed to the socket. */
  transferMBPerSec: number
  sentMs: number
  answeredMs: number
  rssBeforeMiB: { media: number; gateway: number }
  rssPeakMiB: { media: number; gateway: number }
  cpuPercentOfOneCore: Record<string, number>
  cpuOthersPercent: number
  machineBusyBeforePercent: number
}

export async function measureUploads(
  stack: BenchStack,
  token: string,
  { file, size, runs: count, quiet }: { file: string; size: number; runs: number; quiet: Quiet },
) {
  const pids = { media: stack.services.media!.pid, gateway: stack.services.gateway!.pid }
  await quiet('idle memory')
  const idleSampler = startRssSampler(pids, 50)
  await sleep(2000)
  const idle = idleSampler.stop()
  const targets = [
    { path: 'gateway', url: `${stack.services.gateway!.url}/api/media` },
    { path: 'media directly', url: `${stack.services.media!.url}/media` },
  ]
  const runs: UploadRun[] = []
  for (let run = 1; run <= count; run++) {
    for (const target of targets) {
      const busy = await quiet(`upload ${run} (${target.path})`)
      progress(`upload ${run}/${count} of ${round1(size / 1e6)} MB, ${target.path}`)
      const rssBefore = { media: rssMiB(pids.media)!, gateway: rssMiB(pids.gateway)! }
      const rss = startRssSampler(pids, 50)
      const cpu = startCpuMeter(stackCpuGroups(stack), ['media'])
      const result = await upload(target.url, token, { file, filename: 'large.mp4' })
      const usage = cpu.stop()
      const memory = rss.stop()
      if (result.status !== 202) throw new Error(`upload answered ${result.status}: ${result.body}`)
      runs.push({
        path: target.path,
        run,
        MBPerSec: round1(size / 1e6 / (result.answeredMs! / 1000)),
        transferMBPerSec: round1(size / 1e6 / (result.sentMs! / 1000)),
        sentMs: result.sentMs!,
        answeredMs: result.answeredMs!,
        rssBeforeMiB: rssBefore,
        rssPeakMiB: { media: memory.media!.peakMiB, gateway: memory.gateway!.peakMiB },
        cpuPercentOfOneCore: usage.cores,
        cpuOthersPercent: usage.othersPercent,
        machineBusyBeforePercent: busy,
      })
      const { id } = JSON.parse(result.body) as Media
      await fetch(`${stack.services.media!.url}/media/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      })
    }
  }
  await sleep(2000)
  const after = startRssSampler(pids, 50).stop()
  const summary = targets.map(({ path: target }) => {
    const mine = runs.filter((r) => r.path === target)
    const values = (pick: (r: UploadRun) => number) => mine.map(pick)
    const mid = (pick: (r: UploadRun) => number) => round1(median(mine.map(pick)))
    return {
      path: target,
      MBPerSecP50: mid((r) => r.MBPerSec),
      MBPerSecRange: [Math.min(...values((r) => r.MBPerSec)), Math.max(...values((r) => r.MBPerSec))],
      transferMBPerSecP50: mid((r) => r.transferMBPerSec),
      afterTransferMsP50: mid((r) => r.answeredMs - r.sentMs),
      rssBeforeMiB: {
        media: mid((r) => r.rssBeforeMiB.media),
        gateway: mid((r) => r.rssBeforeMiB.gateway),
      },
      rssPeakMiB: {
        media: Math.max(...values((r) => r.rssPeakMiB.media)),
        gateway: Math.max(...values((r) => r.rssPeakMiB.gateway)),
      },
      cpuP50: {
        media: mid((r) => r.cpuPercentOfOneCore.media!),
        gateway: mid((r) => r.cpuPercentOfOneCore.gateway!),
        bench: mid((r) => r.cpuPercentOfOneCore.bench!),
      },
    }
  })
  return {
    sizeBytes: size,
    rssIdleMiB: { media: idle.media!.meanMiB, gateway: idle.gateway!.meanMiB },
    rssAfterMiB: { media: after.media!.meanMiB, gateway: after.gateway!.meanMiB },
    summary,
    runs,
  }
}

/**
 * A body of `mib` MiB, far over the limit, `tries` times per path and kind. Media refuses a declared
 * length before reading and stops reading an undeclared one at the limit, then closes the
 * connection: a client that is still writing may see that close (EPIPE) before the 413.
 */
export async function measureOverLimit(
  stack: BenchStack,
  token: string,
  { mib, tries: count, quiet }: { mib: number; tries: number; quiet: Quiet },
) {
  const pids = { media: stack.services.media!.pid, gateway: stack.services.gateway!.pid }
  const cases = []
  for (const [target, url] of [
    ['gateway', `${stack.services.gateway!.url}/api/media`],
    ['media directly', `${stack.services.media!.url}/media`],
  ] as const) {
    for (const declare of [true, false]) {
      await quiet('an over-limit upload')
      progress(`${mib} MiB upload, ${target}, length ${declare ? 'declared' : 'not declared'}`)
      const rssBefore = { media: rssMiB(pids.media)!, gateway: rssMiB(pids.gateway)! }
      const rss = startRssSampler(pids, 50)
      const tries = []
      for (let i = 0; i < count; i++) {
        const result = await upload(url, token, {
          zeros: mib * 1024 ** 2,
          filename: 'huge.mp4',
          declare,
          timeoutMs: 120_000,
        })
        tries.push({
          answer: result.status ?? result.error ?? 'none',
          sentMB: round1(result.sent / 1e6),
          answeredMs: result.answeredMs,
          body: result.body.slice(0, 200),
        })
      }
      const memory = rss.stop()
      const answers: Record<string, number> = {}
      for (const t of tries) answers[t.answer] = (answers[t.answer] ?? 0) + 1
      const answeredMs = tries.flatMap((t) => (t.answeredMs === undefined ? [] : [t.answeredMs]))
      cases.push({
        path: target,
        lengthDeclared: declare,
        answers,
        sentMBMax: Math.max(...tries.map((t) => t.sentMB)),
        answeredMsMedian: answeredMs.length ? round1(median(answeredMs)) : undefined,
        rssBeforeMiB: rssBefore,
        rssPeakMiB: { media: memory.media!.peakMiB, gateway: memory.gateway!.peakMiB },
        tries,
      })
    }
  }
  return cases
}

export function uploadsTable(uploads: Awaited<ReturnType<typeof measureUploads>>): string {
  return markdownTable(
    [
      'path',
      'MB/s to the 202, p50 (range)',
      'transfer MB/s',
      'after the last byte',
      'CPU media / gateway / client',
      'RSS media: before → peak',
      'RSS gateway: before → peak',
    ],
    uploads.summary.map((s) => [
      s.path,
      `**${s.MBPerSecP50}** (${s.MBPerSecRange.join('–')})`,
      s.transferMBPerSecP50,
      `${Math.round(s.afterTransferMsP50)} ms`,
      `${s.cpuP50.media} / ${s.cpuP50.gateway} / ${s.cpuP50.bench}%`,
      `${s.rssBeforeMiB.media} → ${s.rssPeakMiB.media} MiB`,
      `${s.rssBeforeMiB.gateway} → ${s.rssPeakMiB.gateway} MiB`,
    ]),
  )
}

export function overLimitTable(cases: Awaited<ReturnType<typeof measureOverLimit>>): string {
  return markdownTable(
    [
      'path',
      'length',
      'answers',
      'MB sent before it (max)',
      '413 after (median)',
      'RSS media: before → peak',
      'RSS gateway: before → peak',
    ],
    cases.map((c) => [
      c.path,
      c.lengthDeclared ? 'declared' : 'chunked',
      Object.entries(c.answers)
        .map(([answer, n]) => `${answer} ×${n}`)
        .join(', '),
      c.sentMBMax,
      c.answeredMsMedian === undefined ? '—' : `${Math.round(c.answeredMsMedian)} ms`,
      `${round1(c.rssBeforeMiB.media)} → ${c.rssPeakMiB.media} MiB`,
      `${round1(c.rssBeforeMiB.gateway)} → ${c.rssPeakMiB.gateway} MiB`,
    ]),
  )
}
