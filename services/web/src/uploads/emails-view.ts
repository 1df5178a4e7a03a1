import { element, icon, ICONS } from '../shared/dom.ts'
import { plural } from '../shared/plural.ts'
import { formatWhen } from '../shared/relative-time.ts'
import type { Email } from '../shared/types.ts'

interface Row {
  email: Email
  li: HTMLLIElement
  meta: HTMLElement
  text: HTMLElement
}

/**
 * The emails sent to the user, as the notification service kept them: subject, recipient, when
 * it was sent (or that it waits to be), and the text behind a disclosure.
 */
export class EmailsView {
  readonly #list: HTMLElement
  readonly #empty: HTMLElement
  readonly #count: HTMLElement
  readonly #rows = new Map<string, Row>()

  constructor(section: HTMLElement) {
    const field = (name: string) => section.querySelector(`[data-field="${name}"]`) as HTMLElement
    this.#list = field('list')
    this.#empty = field('empty')
    this.#count = field('count')
  }

  render(emails: readonly Email[], now = Date.now()): void {
    let previous: Element | null = null
    for (const email of emails) {
      const row = this.#rows.get(email.id) ?? this.#newRow(email)
      this.#fill(row, email, now)
      const expected: Element | null = previous ? previous.nextElementSibling : this.#list.firstElementChild
      if (expected !== row.li) this.#list.insertBefore(row.li, expected)
      previous = row.li
    }
    const ids = new Set(emails.map((email) => email.id))
    for (const [id, row] of this.#rows) {
      if (ids.has(id)) continue
      row.li.remove()
      this.#rows.delete(id)
    }
    this.#empty.hidden = emails.length > 0
    this.#count.textContent = emails.length > 0 ? `${emails.length} ${plural(emails.length, 'email')}` : ''
  }

  /** Redraws the "sent 4 min ago" texts. */
  tick(now = Date.now()): void {
    for (const row of this.#rows.values()) this.#fill(row, row.email, now)
  }

  #newRow(email: Email): Row {
    const doc = this.#list.ownerDocument
    const li = element(doc, 'li', 'email')
    li.dataset.id = email.id
    const details = element(doc, 'details')
    const summary = element(doc, 'summary')
    const head = element(doc, 'span', 'email-head')
    const meta = element(doc, 'span', 'email-meta')
    head.append(element(doc, 'span', 'email-subject', email.subject), meta)
    summary.append(icon(doc, ICONS.mail, 'icon email-icon'), head)
    const text = element(doc, 'p', 'email-text')
    details.append(summary, text)
    li.append(details)
    const row: Row = { email, li, meta, text }
    this.#rows.set(email.id, row)
    return row
  }

  #fill(row: Row, email: Email, now: number): void {
    row.email = email
    const sent = email.sentAt ? `sent ${formatWhen(email.sentAt, now)}` : 'waiting to be sent'
    const meta = `To ${email.to} · ${sent}`
    if (row.meta.textContent !== meta) row.meta.textContent = meta
    row.meta.title = email.sentAt ? `Sent ${new Date(email.sentAt).toLocaleString()}` : ''
    row.li.toggleAttribute('data-waiting', !email.sentAt)
    if (row.text.textContent !== email.text) row.text.textContent = email.text
  }
}
