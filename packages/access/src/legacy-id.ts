import { createHash } from 'node:crypto'

/** The namespace of {@link legacyUserId}'s name-based UUIDs: Convoy's own, fixed for good. */
const NAMESPACE = Buffer.from('02f42f4efd3d4f6a9c9513bbe1be31fb', 'hex')

/**
 * The id of a user who existed before users had ids: a name-based UUID (RFC 9562 version 5) of
 * their username. Every service's migration computes the same id from the username it stored
 * (auth for the user, media for the owner of their jobs, notification for their notifications),
 * so data keyed by username moves to the right user without the services talking to each other.
 * Users created afterwards get random ids: a new `alice` never gets the old one's.
 *
 * @example
 * legacyUserId('alice') // → '5a8d…', the same on every machine, every time
 */
export function legacyUserId(username: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(username, 'utf8').digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50 // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80 // the RFC's variant
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
