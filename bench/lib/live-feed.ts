/**
 * One user's live feed from the gateway (`/api/live`), as the web app holds it: every media and
 * notification frame, stamped with the time it arrived (`performance.now()`).
 */
import { once } from 'node:events'
import { WebSocket } from 'ws'
import type { LiveFrame } from '@convoy/contracts'
import { eventually } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'
import { metricValue } from './services.ts'

export type UserFrame = Exclude<LiveFrame, { type: 'positions' }>
export type FrameListener = (frame: UserFrame, at: number) => void

export async function openLiveFeed(gatewayUrl: string, token: string) {
  const clientsBefore = await metricValue(gatewayUrl, 'live_clients')
  const socket = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/api/live`, { perMessageDeflate: false })
  onCleanup('live feed', () => socket.terminate())
  const listeners = new Set<FrameListener>()
  socket.on('message', (data: Buffer) => {
    const at = performance.now()
    const frame = JSON.parse(data.toString()) as LiveFrame
    if (frame.type !== 'positions') for (const listener of listeners) listener(frame, at)
  })
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'auth', token }))
  // Frames flow once the gateway has verified the token and counts the client.
  await eventually(
    async () => (await metricValue(gatewayUrl, 'live_clients')) > clientsBefore,
    'live feed authenticated',
  )
  return {
    /** Calls `listener` with every frame from now on; the function returned stops it. */
    listen(listener: FrameListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () => socket.terminate(),
  }
}
export type LiveFeed = Awaited<ReturnType<typeof openLiveFeed>>
