import { ageOf, formatAgo } from '../shared/relative-time.ts'
import type { Vehicle } from '../shared/types.ts'
import { compassPoint, statusOf } from './vehicle-status.ts'

type Field = 'name' | 'speed' | 'heading' | 'ago' | 'position'

/** The card over the map describing the selected vehicle. */
export class DetailsCard {
  readonly #card: HTMLElement
  readonly #fields: Record<Field, HTMLElement>

  constructor(card: HTMLElement, onClose: () => void) {
    this.#card = card
    const field = (name: string) => card.querySelector(`[data-field="${name}"]`) as HTMLElement
    this.#fields = {
      name: field('name'),
      speed: field('speed'),
      heading: field('heading'),
      ago: field('ago'),
      position: field('position'),
    }
    card.querySelector('[data-action="close"]')?.addEventListener('click', onClose)
  }

  show(vehicle: Vehicle | undefined, now = Date.now()): void {
    this.#card.hidden = vehicle === undefined
    if (!vehicle) return
    const state = statusOf(vehicle, now)
    this.#card.dataset.look = state
    this.#set('name', vehicle.name)
    this.#set('speed', `${Math.round(vehicle.speedKmh)} km/h`)
    this.#set(
      'heading',
      state === 'moving' ? `${compassPoint(vehicle.heading)} · ${Math.round(vehicle.heading)}°` : '—',
    )
    this.#set('ago', formatAgo(ageOf(vehicle.timestamp, now)))
    this.#set('position', `${vehicle.lat.toFixed(5)}, ${vehicle.lng.toFixed(5)}`)
  }

  #set(field: Field, text: string): void {
    const element = this.#fields[field]
    if (element.textContent !== text) element.textContent = text
  }
}
