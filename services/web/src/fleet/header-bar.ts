import type { FeedStatus } from './feed.ts'
import { plural } from '../shared/plural.ts'

const LABELS: Record<FeedStatus, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
}

/** The header's live indicators: connection state and vehicle count. */
export class HeaderBar {
  readonly #connection: HTMLElement
  readonly #label: HTMLElement
  readonly #count: HTMLElement
  readonly #countLabel: HTMLElement

  constructor(root: ParentNode) {
    this.#connection = root.querySelector('#connection') as HTMLElement
    this.#label = this.#connection.querySelector('.conn-label') as HTMLElement
    this.#count = root.querySelector('#vehicle-count') as HTMLElement
    this.#countLabel = root.querySelector('#vehicle-count-label') as HTMLElement
  }

  setStatus(status: FeedStatus): void {
    this.#connection.dataset.state = status
    this.#label.textContent = LABELS[status]
    this.#connection.title =
      status === 'live' ? 'Receiving live positions' : 'Live feed unavailable, retrying'
  }

  setCount(count: number): void {
    const text = count.toLocaleString('en')
    if (this.#count.textContent !== text) this.#count.textContent = text
    const label = plural(count, 'vehicle')
    if (this.#countLabel.textContent !== label) this.#countLabel.textContent = label
  }
}
