import { element, icon, ICONS } from '../shared/dom.ts'
import { badgeText, isFailure } from './notification-list.ts'
import { formatWhen } from '../shared/relative-time.ts'
import type { Notification } from '../shared/types.ts'

/**
 * The header's bell: the number of unread notifications on it, and a panel listing them (newest
 * first, the unread ones marked) that opens on click and closes with Escape or a click outside.
 */
export class NotificationBell {
  readonly #root: HTMLElement
  readonly #toggle: HTMLButtonElement
  readonly #panel: HTMLElement
  readonly #count: HTMLElement
  readonly #list: HTMLElement
  readonly #empty: HTMLElement
  #notifications: readonly Notification[] = []
  #unread = 0
  /** The notifications that were unread when the panel opened: marked while it stays open. */
  #marked = new Set<string>()

  constructor(root: HTMLElement, onOpen: () => void) {
    this.#root = root
    this.#toggle = root.querySelector('.bell-toggle') as HTMLButtonElement
    this.#panel = root.querySelector('.bell-panel') as HTMLElement
    const field = (name: string) => root.querySelector(`[data-field="${name}"]`) as HTMLElement
    this.#count = field('count')
    this.#list = field('list')
    this.#empty = field('empty')

    this.#toggle.addEventListener('click', () => {
      const open = !this.isOpen
      // The unread ones are marked as they were when the panel opened, then counted as seen.
      this.#marked = new Set(open ? this.#notifications.slice(0, this.#unread).map((item) => item.id) : [])
      this.#render()
      this.#setOpen(open)
      if (open) onOpen()
    })
    this.#panel.addEventListener('click', (event) => {
      if ((event.target as Element).closest('a')) this.#setOpen(false)
    })
    const doc = root.ownerDocument
    doc.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.isOpen) return
      event.preventDefault()
      this.#setOpen(false)
      this.#toggle.focus()
    })
    doc.addEventListener('pointerdown', (event) => {
      if (this.isOpen && !root.contains(event.target as Node)) this.#setOpen(false)
    })
  }

  get isOpen(): boolean {
    return this.#toggle.getAttribute('aria-expanded') === 'true'
  }

  setVisible(visible: boolean): void {
    this.#root.hidden = !visible
    if (!visible) this.#setOpen(false)
  }

  /** Shows the notifications and the unread count (the panel's marks change only when it opens). */
  show(notifications: readonly Notification[], unread: number): void {
    this.#notifications = notifications
    this.#unread = unread
    const badge = badgeText(unread)
    this.#count.textContent = badge
    this.#count.hidden = badge === ''
    this.#toggle.setAttribute('aria-label', unread > 0 ? `Notifications, ${unread} unread` : 'Notifications')
    if (this.isOpen) this.#render()
  }

  #render(): void {
    const doc = this.#list.ownerDocument
    const now = Date.now()
    const items = this.#notifications.map((notification) => {
      const li = element(doc, 'li', 'bell-item')
      li.dataset.tone = isFailure(notification) ? 'error' : 'success'
      if (this.#marked.has(notification.id)) li.dataset.unread = ''
      const text = element(doc, 'div', 'bell-item-text')
      const title = element(doc, 'a', 'bell-item-title', notification.title)
      title.href = '#/uploads'
      const when = element(doc, 'time', 'bell-item-time', formatWhen(notification.createdAt, now))
      when.dateTime = notification.createdAt
      when.title = new Date(notification.createdAt).toLocaleString()
      text.append(title, when)
      li.append(icon(doc, isFailure(notification) ? ICONS.alert : ICONS.check, 'icon bell-item-icon'), text)
      return li
    })
    this.#list.replaceChildren(...items)
    this.#empty.hidden = items.length > 0
  }

  #setOpen(open: boolean): void {
    this.#toggle.setAttribute('aria-expanded', String(open))
    this.#panel.hidden = !open
  }
}
