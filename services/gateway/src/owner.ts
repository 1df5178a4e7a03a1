import type { MediaEvent, MediaEventV1, NotificationCreated, NotificationCreatedV1 } from '@convoy/contracts'
import { legacyUserId } from '@convoy/access'

/**
 * The user an event is for: its `ownerId`, or for a version-1 event (from before users had ids)
 * the id that user was given, computed from the username it names.
 */
export function ownerOf(
  event: MediaEvent | MediaEventV1 | NotificationCreated | NotificationCreatedV1,
): string {
  return event.version === 1 ? legacyUserId(event.owner) : event.ownerId
}
