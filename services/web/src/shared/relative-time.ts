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

/**
 * When something happened, for lists of things that last: "just now", "4 min ago", "2 h ago",
 * then the day ("1 Mar"). The exact time goes in a tooltip (`toLocaleString`).
 */
export function formatWhen(timestamp: string, now: number, timeZone?: string): string {
  const age = ageOf(timestamp, now)
  if (Number.isNaN(age)) return ''
  if (age < 60_000) return 'just now'
  if (age < 86_400_000) return formatAgo(age)
  return new Date(timestamp).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone })
}
