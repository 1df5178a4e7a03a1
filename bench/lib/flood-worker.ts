/**
 * A child process of bench/overload.ts: holds `concurrency` request loops against one URL, each
 * with a token of its own (round robin over `tokens`), until told to stop, and reports how every
 * request ended (status, or the error) and how long it took. Runs in its own process so the
 * flood's own CPU never slows the measuring process's live feed.
 */
import http from 'node:http'
import os from 'node:os'
import { LatencyHistogram } from './histogram.ts'

interface Start {
  type: 'start'
  url: string
  tokens: string[]
  concurrency: number
}

// The flood comes from elsewhere: on a machine shared with the system under test, the load
// generator takes only the CPU the system leaves (its requests still arrive as fast as answered).
os.setPriority(19)

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
let stopping = false
/** How long the requests took, by how they ended (status, or error code). */
const latencies = new Map<string, LatencyHistogram>()

function once(url: URL, token: string): Promise<void> {
  const started = performance.now()
  return new Promise((resolve) => {
    const done = (outcome: string) => {
      if (!latencies.has(outcome)) latencies.set(outcome, new LatencyHistogram())
      latencies.get(outcome)!.add(performance.now() - started)
      resolve()
    }
    const request = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.resume() // the body is read and dropped: what matters is that it came
      response.on('end', () => done(String(response.statusCode)))
      response.on('error', () => done('reset'))
    })
    request.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'))
  })
}

process.on('message', (message: Start | { type: 'stop' }) => {
  if (message.type === 'stop') {
    stopping = true
    return
  }
  const url = new URL(message.url)
  const loops = Array.from({ length: message.concurrency }, async (_, i) => {
    const token = message.tokens[i % message.tokens.length]!
    while (!stopping) await once(url, token)
  })
  void Promise.all(loops).then(() => {
    const report = Object.fromEntries(
      [...latencies].map(([outcome, latency]) => [outcome, latency.toPairs()]),
    )
    process.send!(report, () => process.exit(0))
  })
})
