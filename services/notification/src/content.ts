import { MEDIA_FAILED, MEDIA_READY, type MediaEvent } from '@convoy/contracts'

export type Kind = typeof MEDIA_READY | typeof MEDIA_FAILED

/** What to tell a job's owner, in the app and by email: the same words in both. */
export interface Draft {
  owner: string
  kind: Kind
  mediaId: string
  title: string
  body: string
  email: { recipient: string; messageId: string }
}

export interface ContentSettings {
  /** Where users open the app, e.g. `https://convoy.example.com`. */
  publicUrl: string
  mailDomain: string
}

// Characters that cannot stand in a bare address (RFC 5322 specials and white space).
const ADDRESS_PART = /^[^\s@<>()[\],;:\\"]+$/

/** The owner's email address: the username itself if it is one, else `<username>@<domain>`. */
export function recipientOf(owner: string, mailDomain: string): string | undefined {
  const [local, domain = mailDomain, ...rest] = owner.split('@')
  if (rest.length > 0 || !ADDRESS_PART.test(local!) || !ADDRESS_PART.test(domain)) return undefined
  return `${local}@${domain}`
}

/** The kind of notification a job's event calls for, from its status (ready or failed). */
export function kindOf(event: MediaEvent): Kind | undefined {
  if (event.media.status === 'ready') return MEDIA_READY
  if (event.media.status === 'failed') return MEDIA_FAILED
  return undefined
}

/** Why an event cannot be turned into a notification (it is dead-lettered), if it cannot. */
export function eventProblem(event: MediaEvent, mailDomain: string): string | undefined {
  if (!kindOf(event)) return `media status ${event.media.status} is neither ready nor failed`
  if (!recipientOf(event.owner, mailDomain)) return 'owner is not a username an email can be sent to'
  return undefined
}

/** A file name as a line of text: no control characters, not endless. */
const shown = (filename: string) =>
  filename
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 200) || 'your video'

/**
 * The notification of a finished job. Its Message-ID is derived from the job and kind, so the
 * same notification always goes out as the same message, however often it is sent.
 */
export function draftFor(event: MediaEvent, settings: ContentSettings): Draft {
  const { media, owner } = event
  const kind = kindOf(event)
  const recipient = recipientOf(owner, settings.mailDomain)
  if (!kind || !recipient) throw new Error(eventProblem(event, settings.mailDomain))
  const link = `${settings.publicUrl.replace(/\/+$/, '')}/#/uploads`
  const name = shown(media.filename)
  const [title, body] =
    kind === MEDIA_READY
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
    owner,
    kind,
    mediaId: media.id,
    title,
    body,
    email: { recipient, messageId: `<media-${media.id}-${media.status}@convoy>` },
  }
}
