import { backoffDelay } from '../shared/backoff.ts'
import type { FleetState } from './fleet-state.ts'
import type { Vehicle } from '../shared/types.ts'

export interface SnapshotOptions {
  /** Delay before retry `attempt` (0 for the first). */
  delay?: (attempt: number) => number
  /** Called with every snapshot applied to the fleet. */
  onLoaded?: (snapshot: Vehicle[]) => void
}

/**
 * Loads the full fleet (`GET /api/vehicles`) into `fleet`, retrying with backoff until it succeeds.
 * Calling it again cancels a load in flight: only the newest one counts; `cancel` stops it.
 */
export function snapshotLoader(
  fleet: FleetState,
  load: (signal: AbortSignal) => Promise<Vehicle[]>,
  { delay = backoffDelay, onLoaded }: SnapshotOptions = {},
) {
  let current: AbortController | null = null
  let retry: ReturnType<typeof setTimeout> | undefined

  const run = (attempt: number) => {
    current?.abort()
    clearTimeout(retry)
    const request = (current = new AbortController())
    const requestedAt = Date.now()
    load(request.signal).then(
      (snapshot) => {
        if (request.signal.aborted) return
        fleet.replaceAll(snapshot, requestedAt)
        onLoaded?.(snapshot)
      },
      (error: unknown) => {
        if (request.signal.aborted) return
        console.warn('vehicles unavailable', error)
        retry = setTimeout(() => run(attempt + 1), delay(attempt))
      },
    )
  }
  const cancel = () => {
    current?.abort()
    current = null
    clearTimeout(retry)
  }
  return Object.assign(() => run(0), { cancel })
}
