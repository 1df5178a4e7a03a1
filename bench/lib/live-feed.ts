/**
 * One user's live feed from the gateway (`/api/live`), as the web app holds it: every media and
 * notification frame, stamped with the time it arrived (`performance.now()`), to listeners.
 */
import type { LiveFrame } from '@convoy/contracts'
import { openLiveFeed as openFeed } from '@convoy/system/testing'
import { onCleanup } from './cleanup.ts'

export type UserFrame = Exclude<LiveFrame, { type: 'positions' }>
export type FrameListener = (frame: UserFrame, at: number) => void

export async function openLiveFeed(gateway: { url: string; opsUrl: string }, token: string) {
  const listeners = new Set<FrameListener>()
  const feed = await openFeed(gateway, token, (frame, at) => {
    if (frame.type !== 'positions') for (const listener of listeners) listener(frame, at)
  })
  onCleanup('live feed', () => feed.close())
  return {
    /** Calls `listener` with every frame from now on; the function returned stops it. */
    listen(listener: FrameListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () => feed.close(),
  }
}
export type LiveFeed = Awaited<ReturnType<typeof openLiveFeed>>
