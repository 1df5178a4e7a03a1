import type { Tone } from '../shared/toast-list.ts'
import type { Notification } from '../shared/types.ts'

/** Where the time of the newest notification the user has seen is kept, per user id (localStorage): a new user under an old name starts afresh. */
export const seenKey = (userId: string) => `convoy.notifications.seen.${userId}`

const time = (notification: Notification) => Date.parse(notification.createdAt)

/** Newest first, as `GET /api/notifications` lists them. */
function byNewest(a: Notification, b: Notification): number {
  return time(b) - time(a) || b.id.localeCompare(a.id)
}

/** The list with `incoming` in it, once (a notification pushed again keeps its place). */
export function mergeNotifications(list: readonly Notification[], incoming: readonly Notification[]) {
  const byId = new Map(list.map((item) => [item.id, item]))
  for (const item of incoming) byId.set(item.id, item)
  return [...byId.values()].sort(byNewest)
}

/** How many notifications came after `seenAt` (all of them when nothing was seen yet). */
export function unreadCount(list: readonly Notification[], seenAt: string | null): number {
  const seen = seenAt === null ? Number.NEGATIVE_INFINITY : Date.parse(seenAt)
  if (Number.isNaN(seen)) return list.length
  return list.filter((item) => time(item) > seen).length
}

/** The bell's badge: "3", "99+", or nothing. */
export function badgeText(unread: number): string {
  if (unread <= 0) return ''
  return unread > 99 ? '99+' : String(unread)
}

/** What a notification tells of (its icon and colour): a fleet alert, a failure, or a video done. */
export function toneOf(notification: Notification): Tone {
  if (notification.fleetEvent) return 'alert'
  return notification.kind.endsWith('.failed') ? 'error' : 'success'
}
