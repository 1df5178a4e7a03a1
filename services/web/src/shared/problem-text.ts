import { ApiError } from './api-error.ts'

/**
 * What the user is told when a call failed: the server's problem detail (a lower-case phrase such
 * as "at least one enabled admin must remain") as a sentence.
 */
export function problemText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.'
  if (error.status === 0) return 'Convoy cannot be reached right now. Try again in a moment.'
  const sentence = error.detail.charAt(0).toUpperCase() + error.detail.slice(1)
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`
}
