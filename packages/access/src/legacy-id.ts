import { nameBasedUuid } from '@convoy/platform/ids'

/** The namespace of {@link legacyUserId}'s name-based UUIDs: Convoy's own, fixed for good. */
const NAMESPACE = '02f42f4e-fd3d-4f6a-9c95-13bbe1be31fb'

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
  return nameBasedUuid(NAMESPACE, username)
}
