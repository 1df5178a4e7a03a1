import type { FleetState, FleetChange } from './fleet-state.ts'
import { ageOf, formatAgo } from '../shared/relative-time.ts'
import { statusOf } from './vehicle-status.ts'

interface Row {
  item: HTMLLIElement
  speed: HTMLElement
  ago: HTMLElement
  /** What is shown, so unchanged text is never written again. */
  shown: { speed: string; ago: string; look: string }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/**
 * The side panel's vehicle list. Rows are created once per vehicle and then only their changed
 * texts are written; `render` is meant to be called a couple of times a second, not per frame.
 */
export class VehicleList {
  readonly #list: HTMLElement
  readonly #empty: HTMLElement
  readonly #rows = new Map<string, Row>()
  #orderChanged = false
  #filter = ''
  #selected: string | null = null

  constructor(list: HTMLElement, empty: HTMLElement, onSelect: (name: string) => void) {
    this.#list = list
    this.#empty = empty
    list.addEventListener('click', (event) => {
      const item = (event.target as Element).closest<HTMLElement>('[data-name]')
      if (item?.dataset.name !== undefined) onSelect(item.dataset.name)
    })
  }

  get isEmpty(): boolean {
    return this.#rows.size === 0
  }

  /** Notes added and removed vehicles; the rows follow at the next render. */
  note(change: FleetChange): void {
    for (const name of change.removed) {
      this.#rows.get(name)?.item.remove()
      this.#rows.delete(name)
    }
    if (change.changed.some((vehicle) => !this.#rows.has(vehicle.name))) this.#orderChanged = true
  }

  render(fleet: FleetState, now = Date.now()): void {
    if (this.#orderChanged) this.#addRows(fleet)
    for (const [name, row] of this.#rows) {
      const vehicle = fleet.get(name)
      if (!vehicle) continue
      const speed = `${Math.round(vehicle.speedKmh)}`
      const ago = formatAgo(ageOf(vehicle.timestamp, now))
      const look = statusOf(vehicle, now)
      if (speed !== row.shown.speed) row.speed.textContent = row.shown.speed = speed
      if (ago !== row.shown.ago) row.ago.textContent = row.shown.ago = ago
      if (look !== row.shown.look) row.item.dataset.look = row.shown.look = look
    }
    this.#showEmpty()
  }

  setFilter(text: string): void {
    this.#filter = text.trim().toLowerCase()
    for (const [name, row] of this.#rows) row.item.hidden = !this.#matches(name)
    this.#showEmpty()
  }

  #showEmpty(): void {
    const anyVisible = this.#filter === '' || [...this.#rows.keys()].some((name) => this.#matches(name))
    const text = this.#rows.size === 0 ? 'Waiting for vehicles…' : anyVisible ? '' : 'No vehicle matches'
    if (this.#empty.textContent !== text) this.#empty.textContent = text
    this.#empty.hidden = text === ''
  }

  select(name: string | null, reveal: boolean): void {
    if (this.#selected !== null) this.#mark(this.#selected, false)
    this.#selected = name
    if (name === null) return
    const row = this.#mark(name, true)
    if (reveal) row?.item.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
  }

  #mark(name: string, selected: boolean): Row | undefined {
    const row = this.#rows.get(name)
    row?.item.classList.toggle('is-selected', selected)
    row?.item.querySelector('button')?.setAttribute('aria-pressed', String(selected))
    return row
  }

  #matches(name: string): boolean {
    return this.#filter === '' || name.toLowerCase().includes(this.#filter)
  }

  #addRows(fleet: FleetState): void {
    this.#orderChanged = false
    for (const name of fleet.names()) if (!this.#rows.has(name)) this.#rows.set(name, this.#createRow(name))
    const sorted = [...this.#rows.keys()].sort(collator.compare)
    this.#list.replaceChildren(...sorted.map((name) => (this.#rows.get(name) as Row).item))
    if (this.#selected !== null) this.#mark(this.#selected, true)
  }

  #createRow(name: string): Row {
    const item = document.createElement('li')
    item.className = 'vehicle'
    item.dataset.name = name
    item.hidden = !this.#matches(name)
    item.innerHTML = `<button type="button" class="vehicle-button" aria-pressed="false">
      <span class="vehicle-dot" aria-hidden="true"></span>
      <span class="vehicle-main"><span class="vehicle-name"></span><span class="vehicle-ago"></span></span>
      <span class="vehicle-speed"><span class="vehicle-speed-value"></span><span class="vehicle-unit">km/h</span></span>
    </button>`
    ;(item.querySelector('.vehicle-name') as HTMLElement).textContent = name
    return {
      item,
      speed: item.querySelector('.vehicle-speed-value') as HTMLElement,
      ago: item.querySelector('.vehicle-ago') as HTMLElement,
      shown: { speed: '', ago: '', look: '' },
    }
  }
}
