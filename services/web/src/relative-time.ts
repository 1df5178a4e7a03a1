/** "now", "3 s ago", "4 min ago", "2 h ago", "5 d ago" for an age in milliseconds. */
export function formatAgo(ageMs: number): string {
  // Clocks differ a little between server and browser: a timestamp slightly in the future is "now".
  if (!Number.isFinite(ageMs) || ageMs < 1000) return 'now'
  const seconds = Math.floor(ageMs / 1000)
  if (seconds < 60) return `${seconds} s ago`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  return `${Math.floor(hours / 24)} d ago`
}

/** Age of an ISO timestamp at `now` (ms since epoch); NaN when the timestamp is unreadable. */
export function ageOf(timestamp: string, now: number): number {
  return now - Date.parse(timestamp)
}
