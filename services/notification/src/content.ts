import { mediaFailed, mediaReady, type MediaEvent, type MediaEventV1 } from '@convoy/contracts'
import { legacyUserId } from '@convoy/access'
import type { Draft } from './store.ts'

/** A job's notification is of the kind of the event it tells about. */
export type Kind = typeof mediaReady.routingKey | typeof mediaFailed.routingKey

/** What the words of every notification and email depend on. */
export interface ContentSettings {
  /** Where users open the app, e.g. `https://convoy.example.com`. */
  publicUrl: string
  mailDomain: string
}

// Characters that cannot stand in a bare address (RFC 5322 specials and white space).
const ADDRESS_PART = /^[^\s@<>()[\],;:\\"]+$/

/**
 * A version-1 event (owner by username, from before users had ids) as version 2: the owner is
 * the user auth's migration gave that name's id to.
 */
export function latest(event: MediaEvent | MediaEventV1): MediaEvent {
  if (event.version === 2) return event
  return { version: 2, ownerId: legacyUserId(event.owner), ownerName: event.owner, media: event.media }
}

/** A user's email address: the username itself if it is one, else `<username>@<domain>`. */
export function recipientOf(username: string, mailDomain: string): string | undefined {
  const [local, domain = mailDomain, ...rest] = username.split('@')
  if (rest.length > 0 || !ADDRESS_PART.test(local!) || !ADDRESS_PART.test(domain)) return undefined
  return `${local}@${domain}`
}

/** The kind of notification a job's event calls for, from its status (ready or failed). */
export function kindOf(event: MediaEvent): Kind | undefined {
  if (event.media.status === 'ready') return mediaReady.routingKey
  if (event.media.status === 'failed') return mediaFailed.routingKey
  return undefined
}

/** Why an event cannot be turned into a notification (it is dead-lettered), if it cannot. */
export function eventProblem(event: MediaEvent, mailDomain: string): string | undefined {
  if (!kindOf(event)) return `media status ${event.media.status} is neither ready nor failed`
  if (!recipientOf(event.ownerName, mailDomain)) return 'owner is not a username an email can be sent to'
  return undefined
}

/** A file name as a line of text: no control or invisible format characters, not endless. */
const shown = (filename: string) =>
  filename
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\p{Cf}+/gu, '')
    .trim()
    .slice(0, 200) || 'your video'

/** A link to a page of the app (`#/uploads`; `#/` is the fleet's map). */
export const linkTo = (settings: ContentSettings, page: string) =>
  `${settings.publicUrl.replace(/\/+$/, '')}/${page}`

/**
 * The notification of a finished job, for its owner, and its email: the same words in both. Its
 * Message-ID is derived from the job and kind, so the same notification always goes out as the
 * same message, however often it is sent.
 */
export function draftFor(event: MediaEvent, settings: ContentSettings): Draft {
  const { media, ownerId, ownerName } = event
  const kind = kindOf(event)
  const recipient = recipientOf(ownerName, settings.mailDomain)
  if (!kind || !recipient) throw new Error(eventProblem(event, settings.mailDomain))
  const link = linkTo(settings, '#/uploads')
  const name = shown(media.filename)
  const [title, body] =
    kind === mediaReady.routingKey
      ? [
          `Your MP3 of ${name} is ready`,
          `Your video ${name} has been converted to MP3. Download it from your uploads:\n${link}`,
        ]
      : [
          `${name} could not be converted`,
          `Your video ${name} could not be converted to MP3.\n` +
            `Reason: ${media.error?.trim() || 'none was given'}\n\nYour uploads:\n${link}`,
        ]
  return {
    ownerId,
    kind,
    mediaId: media.id,
    since: media.createdAt,
    title,
    body,
    emails: [
      {
        recipientId: ownerId,
        to: recipient,
        subject: title,
        text: body,
        messageId: `<media-${media.id}-${media.status}@convoy>`,
      },
    ],
  }
}
