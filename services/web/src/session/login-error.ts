import { ApiError } from '../shared/api-error.ts'
import { plural } from '../shared/plural.ts'

/** What the login form says when signing in failed. */
export function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) {
    return 'Convoy cannot be reached right now. Check your connection and try again in a moment.'
  }
  if (error.status === 401) return 'Wrong username or password.'
  if (error.status === 429) {
    const wait = error.retryAfter === undefined ? 'a while' : formatWait(error.retryAfter)
    return `Too many sign-in attempts. Try again in ${wait}.`
  }
  return `Sign-in refused: ${error.detail}.`
}

/** "45 seconds", "1 minute", "15 minutes", "2 hours": a wait rounded up to the unit that reads best. */
export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds))
  if (s < 60) return `${s} ${plural(s, 'second')}`
  const minutes = Math.ceil(s / 60)
  if (minutes < 60) return `${minutes} ${plural(minutes, 'minute')}`
  const hours = Math.ceil(minutes / 60)
  return `${hours} ${plural(hours, 'hour')}`
}
