/**
 * Child process of the live-latency benchmark: holds a share of the WebSocket clients of the
 * gateway's live feed. Every client counts its frames and bytes; one in `sampleEvery` also finds
 * every `"timestamp":"…"` in each frame (a byte scan, no JSON.parse) and records receive time
 * minus that timestamp. The process's own event-loop delay is reported too, to show the
 * measuring side was not the bottleneck.
 *
 * Every client authenticates with the same access token (verified once, then cached by the gateway).
 *
 * Started with fork(); parent messages: `reset` (start of the window), `report`, `stop`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { LatencyHistogram } from './histogram.ts'

const { url, token, clients, firstIndex, sampleEvery } = JSON.parse(process.argv[2]!) as {
  url: string
  /** An access token: the first message every client sends. */
  token: string
  clients: number
  firstIndex: number
  sampleEvery: number
}

const MARK = Buffer.from('"timestamp":"')
const ISO_LENGTH = '2026-01-01T00:00:00.000Z'.length

let frames = 0
let bytes = 0
let open = 0
const closes: Record<string, number> = {}
let latency = new LatencyHistogram()
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()

function record(frame: Buffer, receivedAt: number) {
  for (let i = frame.indexOf(MARK); i !== -1; i = frame.indexOf(MARK, i + ISO_LENGTH)) {
    i += MARK.length
    latency.add(receivedAt - Date.parse(frame.toString('latin1', i, i + ISO_LENGTH)))
  }
}

function connect(index: number): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false })
  const sampled = index % sampleEvery === 0
  socket.on('message', (data: Buffer) => {
    frames++
    bytes += data.length
    if (sampled) record(data, Date.now())
  })
  socket.on('close', (code) => {
    open--
    closes[code] = (closes[code] ?? 0) + 1
  })
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token }))
      open++
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

const sockets: WebSocket[] = []
for (let i = 0; i < clients; i += 50) {
  const batch = Array.from({ length: Math.min(50, clients - i) }, (_, j) => connect(firstIndex + i + j))
  sockets.push(...(await Promise.all(batch)))
}
process.send!({ connected: open })

process.on('message', (message) => {
  if (message === 'reset') {
    frames = 0
    bytes = 0
    latency = new LatencyHistogram()
    loopDelay.reset()
  } else if (message === 'report') {
    process.send!({
      report: {
        frames,
        bytes,
        open,
        closes,
        latency: latency.toPairs(),
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      },
    })
  } else if (message === 'stop') {
    for (const socket of sockets) socket.terminate()
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
