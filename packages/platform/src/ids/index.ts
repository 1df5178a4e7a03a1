import { createHash } from 'node:crypto'

/**
 * A name-based UUID (RFC 9562 version 5): the same `name` in the same `namespace` (a UUID) gives
 * the same id on every machine, every time. For ids that must be computed again rather than
 * remembered: a user's from before users had ids, an event's from what it is about, so that a
 * redelivered message makes the id its first delivery made.
 *
 * @example
 * nameBasedUuid('02f42f4e-fd3d-4f6a-9c95-13bbe1be31fb', 'alice') // → '5a8d…', always
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50 // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80 // the RFC's variant
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
