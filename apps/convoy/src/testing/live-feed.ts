import type { LiveFrame } from '@convoy/contracts'
import { eventually, metricValue } from '@convoy/platform/testing'

export interface LiveFeed {
  /** Every frame received so far, in order. */
  frames: LiveFrame[]
  /** Resolves when the server (or `close`) ends the feed, with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>
  close(): void
}

/**
 * A user's live feed from a gateway (`/api/live`), opened as the web app opens it, and resolved
 * only once the gateway has verified the token and counts the client: from then on no frame for
 * this user is missed (the gateway's count is read on its ops port). A gateway whose ops port is
 * out of reach (`opsUrl` left out: one in a container) proves it with the first frame instead,
 * which needs vehicles moving. `onFrame` sees each frame as it arrives (with `performance.now()`).
 *
 * @example
 * const live = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, token)
 * await eventually(() => live.frames.some((f) => f.type === 'media'), 'a media event')
 */
export async function openLiveFeed(
  gateway: { url: string; opsUrl?: string },
  token: string,
  onFrame?: (frame: LiveFrame, at: number) => void,
): Promise<LiveFeed> {
  const { opsUrl } = gateway
  const clientsBefore = opsUrl ? await metricValue(opsUrl, 'live_clients') : 0
  const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/live`)
  const frames: LiveFrame[] = []
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(String(event.data)) as LiveFrame
    frames.push(frame)
    onFrame?.(frame, performance.now())
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }), {
      once: true,
    }),
  )
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true })
    socket.addEventListener('error', reject, { once: true })
  })
  socket.send(JSON.stringify({ type: 'auth', token }))
  await eventually(
    async () => (opsUrl ? (await metricValue(opsUrl, 'live_clients')) > clientsBefore : frames.length > 0),
    'the live feed authenticated',
  )
  return { frames, closed, close: () => socket.close() }
}
