import type { AlertRecipients, FleetEvent, Notification } from '@convoy/contracts'
import { linkTo, recipientOf, type ContentSettings } from './content.ts'
import type { Draft, EmailDraft } from './store.ts'

/** An instant as an email says it, in UTC to the second: `2026-03-01 08:00:20 UTC`. */
export const utc = (time: string) => `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`

/** A duration in words, to the second under a minute, the minute under an hour: `30 s`, `4 min 10 s`, `2 h 5 min`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`
  const minutes = Math.floor((s % 3600) / 60)
  return minutes === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${minutes} min`
}

const secondsBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000

/** What happened, in a line, and what more there is to say of it. */
function words(event: FleetEvent): { title: string; more: string[] } {
  const vehicle = event.vehicleName
  switch (event.kind) {
    case 'geofence.entered':
      return { title: `${vehicle} entered ${event.geofence.name}`, more: [] }
    case 'geofence.exited':
      return { title: `${vehicle} left ${event.geofence.name}`, more: [] }
    case 'overspeed': {
      const { speedKmh, limitKmh, since } = event.details
      return {
        title: `${vehicle} drove at ${Math.round(speedKmh)} km/h for ${duration(secondsBetween(since, event.time))}`,
        more: [`Above the limit of ${limitKmh} km/h since ${utc(since)}`],
      }
    }
    case 'stopped':
      return {
        title: `${vehicle} stood still for ${duration(secondsBetween(event.details.since, event.time))}`,
        more: [`Standing still since ${utc(event.details.since)}`],
      }
    case 'signal.lost':
      return {
        title: `${vehicle} has sent no position for ${duration(secondsBetween(event.details.lastSeen, event.time))}`,
        more: [`Last position at ${utc(event.details.lastSeen)}`],
      }
  }
}

/**
 * The fleet alert of a fleet event: one notification for everyone of the roles that receive them,
 * its id the event's (an event handled again finds it), saying what happened, when and where, with
 * a link to the map. Its emails wait for auth to say whom to send them to (`alertEmails`).
 */
export function alertDraft(event: FleetEvent, settings: ContentSettings): Draft {
  const { title, more } = words(event)
  const body = [
    `${title}.`,
    `When: ${utc(event.time)}`,
    `Where: ${event.lat.toFixed(5)}, ${event.lng.toFixed(5)}`,
    ...more,
    '',
    `See it on the map:\n${linkTo(settings, '#/')}`,
  ].join('\n')
  return {
    id: event.id,
    ownerId: null,
    kind: event.kind,
    title,
    body,
    fleetEvent: event,
    since: event.time,
    emails: null,
  }
}

/**
 * A fleet alert's email to each of `recipients`: the notification's words and why they get it,
 * with a Message-ID of the event and the user. A user whose username is no address and cannot be
 * made one is left out (`skipped`).
 */
export function alertEmails(
  notification: Notification,
  recipients: AlertRecipients,
  settings: ContentSettings,
): { emails: EmailDraft[]; skipped: string[] } {
  const emails: EmailDraft[] = []
  const skipped: string[] = []
  for (const { userId, username } of recipients) {
    const to = recipientOf(username, settings.mailDomain)
    if (!to) {
      skipped.push(username)
      continue
    }
    emails.push({
      recipientId: userId,
      to,
      subject: notification.title,
      text: `${notification.body}\n\nYou get this email because you turned on fleet alerts in your preferences.`,
      messageId: `<fleet-${notification.id}-${userId}@convoy>`,
    })
  }
  return { emails, skipped }
}
