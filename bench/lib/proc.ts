/**
 * What the kernel says about processes: resident memory and CPU time from /proc, for the
 * services a benchmark started and for the servers it talks to (RabbitMQ, PostgreSQL).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onCleanup } from './cleanup.ts'

const CORES = os.cpus().length
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** Resident set size in MiB (VmRSS), or undefined when the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

/**
 * User + system CPU seconds a process has used, 0 when it is gone; with `exitedChildren`, plus
 * what its children used once they exited and were waited for (the ffmpeg runs of a converter).
 */
export function cpuSeconds(pid: number, exitedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(fields[11]) + Number(fields[12])
    return (exitedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / CLOCK_TICKS
  } catch {
    return 0
  }
}

/** PIDs of every process whose command name (/proc/<pid>/comm) is `comm`. */
export function pidsByComm(comm: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry))
    } catch {
      // exited meanwhile
    }
  }
  return pids
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = values.reduce((a, b) => a + b, 0)
  const idle = values[3]! + values[4]!
  return { busy: total - idle, total }
}

export type ProcessGroups = Record<string, () => number[]>

/** The servers every benchmark shares: RabbitMQ's Erlang VM and all PostgreSQL processes. */
export const serverGroups: ProcessGroups = {
  rabbitmq: () => pidsByComm('beam.smp'),
  postgresql: () => pidsByComm('postgres'),
}

/**
 * CPU used by groups of processes over a window, in % of one core (200% = both cores of this
 * machine), plus how busy the whole machine was (in % of all cores) and what everything outside
 * the groups used (in % of one core). PostgreSQL's figure covers all its processes, other
 * users' included.
 */
export function startCpuMeter(
  groups: ProcessGroups,
  /** Groups whose processes' exited children count as theirs (short-lived ffmpeg/ffprobe runs). */
  withExitedChildren: string[] = [],
) {
  const sample = () => {
    const seconds: Record<string, number> = {}
    for (const [name, pids] of Object.entries(groups)) {
      const children = withExitedChildren.includes(name)
      seconds[name] = pids().reduce((sum, pid) => sum + cpuSeconds(pid, children), 0)
    }
    const all = new Map(allPids().map((pid) => [pid, cpuSeconds(pid)]))
    return { seconds, all, machine: machineTicks(), at: performance.now() }
  }
  const first = sample()
  return {
    stop() {
      const last = sample()
      const elapsed = (last.at - first.at) / 1000
      const cores: Record<string, number> = {}
      for (const name of Object.keys(groups)) {
        cores[name] = round1((100 * (last.seconds[name]! - first.seconds[name]!)) / elapsed)
      }
      const busy = last.machine.busy - first.machine.busy
      const total = last.machine.total - first.machine.total
      const machineBusyPercent = round1((100 * busy) / total)
      // What processes outside the groups used (other users' tests, kernel threads), and the
      // biggest of them, so a disturbed measurement can be recognised.
      const measured = new Set(Object.values(groups).flatMap((pids) => pids()))
      const others = [...last.all]
        .filter(([pid]) => !measured.has(pid))
        .map(([pid, seconds]) => ({
          pid,
          percent: round1((100 * (seconds - (first.all.get(pid) ?? 0))) / elapsed),
        }))
        .filter((o) => o.percent >= 2)
        .sort((a, b) => b.percent - a.percent)
        .slice(0, 3)
        .map((o) => `${o.percent}% ${commandLine(o.pid)}`)
      const sum = Object.values(cores).reduce((a, b) => a + b, 0)
      const othersPercent = round1(Math.max(0, machineBusyPercent * CORES - sum))
      return { cores, machineBusyPercent, othersPercent, others }
    },
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
}

/** A process's command line, shortened, for naming it in a report. */
export function commandLine(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    const short = args.map((arg) => (arg.startsWith('/') ? arg.split('/').slice(-3).join('/') : arg))
    return short.join(' ').slice(0, 80) || readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return `pid ${pid}`
  }
}

/** Samples the RSS of each named process every `everyMs`; `stop` gives the mean and peak of each. */
export function startRssSampler(pids: Record<string, number>, everyMs = 1000) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((name) => [name, []]))
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const rss = rssMiB(pid)
      if (rss !== undefined) samples[name]!.push(rss)
    }
  }
  take()
  const timer = setInterval(take, everyMs)
  return {
    stop(): Record<string, { meanMiB: number; peakMiB: number }> {
      clearInterval(timer)
      take()
      return Object.fromEntries(
        Object.entries(samples).map(([name, values]) => [
          name,
          {
            meanMiB: round1(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
            peakMiB: round1(Math.max(0, ...values)),
          },
        ]),
      )
    },
  }
}

export const round1 = (value: number) => Math.round(value * 10) / 10

/**
 * The machine is shared: waits (up to `maxWaitMs`) until it is nearly idle before a measurement,
 * so another user's build does not land in the window. Returns how busy it was when it gave up
 * or went ahead, in % of all cores.
 */
export async function awaitQuietMachine(maxBusyPercent = 20, maxWaitMs = 120_000): Promise<number> {
  const deadline = Date.now() + maxWaitMs
  for (;;) {
    const meter = startCpuMeter({})
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const busy = meter.stop().machineBusyPercent
    if (busy <= maxBusyPercent || Date.now() > deadline) return busy
  }
}

/** A process and its children (e.g. nginx's master and workers). */
export function withChildren(pid: number): number[] {
  const children = allPids().filter((child) => {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
    } catch {
      return false
    }
  })
  return [pid, ...children]
}

/**
 * A memory cgroup of `limitMiB` for one service, as a container's limit in Kubernetes would be
 * (Node sizes its heap from it): a child of this process's own memory cgroup (v1 or v2), removed
 * at cleanup. Undefined where this process may not make one (not root, no memory controller).
 */
export function memoryCgroup(name: string, limitMiB: number): string | undefined {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n')
  const v1 = lines.find((line) => /^\d+:memory:/.test(line))?.split(':')[2]
  const v2 = lines.find((line) => line.startsWith('0::'))?.slice(3)
  const [root, own, limitFile] =
    v1 !== undefined
      ? ['/sys/fs/cgroup/memory', v1, 'memory.limit_in_bytes']
      : ['/sys/fs/cgroup', v2 ?? '/', 'memory.max']
  const dir = path.join(root, own, `convoy-bench-${name}-${process.pid}`)
  try {
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, limitFile), String(limitMiB * 1024 * 1024))
  } catch {
    return undefined
  }
  // Removed once empty: after the service has stopped (cleanups run last registered first).
  onCleanup(`${name} cgroup`, () => rmdirSync(dir))
  return dir
}
