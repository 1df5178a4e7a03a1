import type { Api } from '../shared/api.ts'
import type { Tone } from '../shared/toast-list.ts'
import { mergeNotifications, seenKey, toneOf, unreadCount } from './notification-list.ts'
import type { KeyValueStore } from '../session/session.ts'
import { MAY_UPLOAD } from '@convoy/contracts'
import type { Me, Notification } from '../shared/types.ts'

/** The parts of the bell (notification-bell.ts) and the toasts (toasts.ts) the center drives. */
export interface BellLike {
  setVisible(visible: boolean): void
  show(notifications: readonly Notification[], unread: number): void
}
export interface ToastsLike {
  show(toast: {
    title: string
    tone: Tone
    link?: { href: string; text: string; onClick?: () => void }
  }): void
  clear(): void
}

export interface NotificationCenterOptions {
  api: Pick<Api, 'notifications'>
  bell: BellLike
  toasts: ToastsLike
  /** Where the last notification seen is kept (localStorage), per user. */
  storage: KeyValueStore
  /** Whether the uploads page is on screen (a toast then needs no link to it). */
  onUploadsPage(): boolean
  /** A notification came live (its email follows). */
  onArrived?(notification: Notification): void
  /** A fleet alert's place was asked for (its toast's link). */
  onShow?(notification: Notification): void
}

/**
 * The user's notifications: loaded at sign-in and after each reconnect of the live feed, added
 * live as they come (with a toast), counted as unread until the bell's panel is opened.
 */
export class NotificationCenter {
  readonly #options: NotificationCenterOptions
  #user: Me | null = null
  #list: Notification[] = []
  /** The last one seen, when storage refuses to keep it. */
  #seenHere: string | null = null
  #generation = 0

  constructor(options: NotificationCenterOptions) {
    this.#options = options
  }

  /** Notifications are about uploads: dispatchers and admins have the bell. */
  start(user: Me): void {
    const same = this.#user?.id === user.id
    this.#user = user
    const uploads = MAY_UPLOAD.includes(user.role)
    this.#options.bell.setVisible(uploads)
    if (!same) {
      this.#list = []
      this.#seenHere = null
      this.#show()
    }
    if (uploads) void this.load()
  }

  stop(): void {
    this.#generation++
    this.#user = null
    this.#list = []
    this.#seenHere = null
    this.#options.bell.setVisible(false)
    this.#options.toasts.clear()
  }

  async load(): Promise<void> {
    if (this.#user === null || !MAY_UPLOAD.includes(this.#user.role)) return
    const generation = this.#generation
    try {
      const list = await this.#options.api.notifications()
      if (generation !== this.#generation) return
      this.#list = mergeNotifications(this.#list, list)
      this.#show()
    } catch (error) {
      // The bell stays as it was; the next reconnect loads again.
      console.warn('notifications unavailable', error)
    }
  }

  /** A notification from the live feed: on the bell, and a toast if it is new. */
  receive(notification: Notification): void {
    if (this.#user === null || this.#list.some((item) => item.id === notification.id)) return
    this.#list = mergeNotifications(this.#list, [notification])
    this.#show()
    this.#options.toasts.show({
      title: notification.title,
      tone: toneOf(notification),
      link: notification.fleetEvent
        ? { href: '#/', text: 'Show on the map', onClick: () => this.#options.onShow?.(notification) }
        : this.#options.onUploadsPage()
          ? undefined
          : { href: '#/uploads', text: 'Open uploads' },
    })
    this.#options.onArrived?.(notification)
  }

  /** The panel was opened: everything in it is seen. */
  markSeen(): void {
    const newest = this.#list[0]
    if (this.#user === null || newest === undefined) return
    try {
      this.#options.storage.setItem(seenKey(this.#user.id), newest.createdAt)
    } catch {
      // Storage refused: the count goes back to zero until the next reload anyway.
      this.#seenHere = newest.createdAt
    }
    this.#show()
  }

  #show(): void {
    const user = this.#user
    const seen = user === null ? null : (this.#readSeen(user.id) ?? this.#seenHere)
    this.#options.bell.show(this.#list, unreadCount(this.#list, seen))
  }

  #readSeen(userId: string): string | null {
    try {
      return this.#options.storage.getItem(seenKey(userId))
    } catch {
      return null
    }
  }
}
