/** Runs wrk (HTTP load generator) and reads its report. */
import { spawn } from 'node:child_process'

export interface WrkResult {
  requestsPerSec: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  requests: number
  /** Responses other than 2xx/3xx, plus connect/read/write/timeout errors. */
  errors: number
}

const MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function duration(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '')
  return match ? Number(match[1]) * MS[match[2]!]! : NaN
}

export async function wrk(
  url: string,
  options: { threads: number; connections: number; seconds: number; headers?: Record<string, string> },
  onStart?: (pid: number) => void,
): Promise<WrkResult> {
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
    '-H',
    `${name}: ${value}`,
  ])
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...headers,
    url,
  ]
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] })
  onStart?.(child.pid!)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  // Not installed: a rejection (so the benchmark cleans up), not an unhandled 'error' event.
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`wrk could not run (apt-get install -y wrk): ${error.message}`)),
    )
    child.on('close', resolve)
  })
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${output}`)
  const percentile = (p: string) => duration(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output)?.[1])
  const nonOk = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  return {
    requestsPerSec: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1])),
    p50Ms: percentile('50'),
    p90Ms: percentile('90'),
    p99Ms: percentile('99'),
    requests: Number(/(\d+) requests in/.exec(output)?.[1]),
    errors: nonOk + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  }
}
