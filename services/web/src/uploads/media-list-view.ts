import { formatBytes } from '../shared/byte-size.ts'
import { button, element, icon, ICONS } from '../shared/dom.ts'
import { failureReason, STATUS_LABELS } from './media-jobs.ts'
import { plural } from '../shared/plural.ts'
import { formatWhen } from '../shared/relative-time.ts'
import type { Media } from '../shared/types.ts'

export interface MediaActions {
  download(media: Media): Promise<void>
  remove(media: Media): Promise<void>
}

interface Row {
  media: Media
  li: HTMLLIElement
  when: HTMLTimeElement
  size: HTMLElement
  badge: HTMLElement
  error: HTMLElement
  download: HTMLButtonElement
}

/**
 * The user's jobs, newest first: name, size, when, a status badge (converting ones pulse), the
 * reason of a failure, Download once ready and Delete. Rows are made once per job and then only
 * filled in again, so a live update never takes the keyboard focus away.
 */
export class MediaListView {
  readonly #list: HTMLElement
  readonly #empty: HTMLElement
  readonly #count: HTMLElement
  readonly #rows = new Map<string, Row>()
  readonly #actions: MediaActions

  constructor(section: HTMLElement, actions: MediaActions) {
    const field = (name: string) => section.querySelector(`[data-field="${name}"]`) as HTMLElement
    this.#list = field('list')
    this.#empty = field('empty')
    this.#count = field('count')
    this.#actions = actions
    this.#list.addEventListener('click', (event) => {
      const action = (event.target as Element).closest<HTMLButtonElement>('button[data-action]')
      const id = action?.closest<HTMLElement>('[data-id]')?.dataset.id
      const row = id === undefined ? undefined : this.#rows.get(id)
      if (!action || !row || row.li.getAttribute('aria-busy') === 'true') return
      if (action.dataset.action === 'download') void this.#busy(row, () => this.#actions.download(row.media))
      else if (action.dataset.action === 'delete') void this.#busy(row, () => this.#actions.remove(row.media))
    })
  }

  render(list: readonly Media[], now = Date.now()): void {
    let previous: Element | null = null
    for (const media of list) {
      const row = this.#rows.get(media.id) ?? this.#newRow(media)
      this.#fill(row, media, now)
      const expected: Element | null = previous ? previous.nextElementSibling : this.#list.firstElementChild
      if (expected !== row.li) this.#list.insertBefore(row.li, expected)
      previous = row.li
    }
    const ids = new Set(list.map((media) => media.id))
    for (const [id, row] of this.#rows) {
      if (ids.has(id)) continue
      row.li.remove()
      this.#rows.delete(id)
    }
    this.#empty.hidden = list.length > 0
    this.#count.textContent = list.length > 0 ? `${list.length} ${plural(list.length, 'video')}` : ''
  }

  /** Redraws the "4 min ago" texts. */
  tick(now = Date.now()): void {
    for (const row of this.#rows.values()) {
      const text = formatWhen(row.media.createdAt, now)
      if (row.when.textContent !== text) row.when.textContent = text
    }
  }

  async #busy(row: Row, action: () => Promise<void>): Promise<void> {
    row.li.setAttribute('aria-busy', 'true')
    try {
      await action()
    } finally {
      row.li.removeAttribute('aria-busy')
    }
  }

  #newRow(media: Media): Row {
    const doc = this.#list.ownerDocument
    const li = element(doc, 'li', 'media-row')
    li.dataset.id = media.id
    const main = element(doc, 'div', 'media-main')
    const meta = element(doc, 'span', 'media-meta')
    const size = element(doc, 'span')
    const when = element(doc, 'time')
    meta.append(size, ' ', element(doc, 'span', 'media-dot', '·'), ' ', when)
    const error = element(doc, 'p', 'media-error')
    main.append(element(doc, 'span', 'media-name', media.filename), meta, error)
    const badge = element(doc, 'span', 'status-badge')

    const download = button(doc, '', 'button button-small')
    download.dataset.action = 'download'
    download.append(icon(doc, ICONS.download), element(doc, 'span', '', 'Download'))
    download.setAttribute('aria-label', `Download the MP3 of ${media.filename}`)
    const remove = button(doc, '', 'button button-small button-quiet-danger')
    remove.dataset.action = 'delete'
    remove.append(icon(doc, ICONS.trash), element(doc, 'span', '', 'Delete'))
    remove.setAttribute('aria-label', `Delete ${media.filename}`)
    const actions = element(doc, 'div', 'media-actions')
    actions.append(download, remove)

    li.append(icon(doc, ICONS.film, 'icon media-icon'), main, badge, actions)
    const row: Row = { media, li, when, size, badge, error, download }
    this.#rows.set(media.id, row)
    return row
  }

  #fill(row: Row, media: Media, now: number): void {
    row.media = media
    row.li.dataset.status = media.status
    row.size.textContent = formatBytes(media.size)
    row.when.dateTime = media.createdAt
    row.when.title = `Uploaded ${new Date(media.createdAt).toLocaleString()}`
    row.when.textContent = formatWhen(media.createdAt, now)
    row.badge.dataset.state = media.status
    row.badge.textContent = STATUS_LABELS[media.status]
    const failed = media.status === 'failed'
    row.error.hidden = !failed
    row.error.textContent = failed ? failureReason(media) : ''
    row.download.hidden = media.status !== 'ready'
  }
}
