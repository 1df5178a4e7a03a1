import { TooManyRequestsError } from '@convoy/platform/errors'

/**
 * Counts events per key in fixed windows and refuses (429 with `Retry-After`) once a key has
 * reached `max` in its current window. Keys live in memory, at most `maxKeys` (expired windows
 * are swept when that fills up, then the oldest go), so a flood of distinct keys cannot grow it
 * without bound. Each replica counts on its own: see docs/decisions.md.
 */
export function fixedWindowLimiter(options: {
  windowMs: number
  max: number
  what: string
  maxKeys?: number
}) {
  const maxKeys = options.maxKeys ?? 100_000
  const windows = new Map<string, { count: number; resetAt: number }>()

  function current(key: string, now: number) {
    const window = windows.get(key)
    return window && window.resetAt > now ? window : undefined
  }

  function makeRoom(now: number) {
    for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key)
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break
      windows.delete(key)
    }
  }

  return {
    /** Throws 429 if `key` has no attempt left in its window. */
    check(key: string, now = Date.now()) {
      const window = current(key, now)
      if (window && window.count >= options.max) {
        throw new TooManyRequestsError(
          `too many ${options.what}; try again later`,
          (window.resetAt - now) / 1000,
        )
      }
    },
    /** Counts one event for `key`. */
    hit(key: string, now = Date.now()) {
      const window = current(key, now)
      if (window) return void window.count++
      if (windows.size >= maxKeys) makeRoom(now)
      windows.set(key, { count: 1, resetAt: now + options.windowMs })
    },
    reset(key: string) {
      windows.delete(key)
    },
  }
}
