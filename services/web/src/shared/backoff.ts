export interface BackoffOptions {
  baseMs?: number
  maxMs?: number
  /** Returns a number in [0, 1); injectable for tests. */
  random?: () => number
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so that many browsers
 * dropped at once by a gateway restart do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 500, maxMs = 10_000, random = Math.random } = options
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
