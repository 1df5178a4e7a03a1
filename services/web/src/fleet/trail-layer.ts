import L from 'leaflet'
import { TRAIL_WINDOW_MS, TrailPath } from './trail.ts'
import type { Position, Vehicle } from '../shared/types.ts'

export type HistoryLoader = (name: string, from: Date, signal: AbortSignal) => Promise<Position[]>

/**
 * The selected vehicle's recent path: its history from the API, then extended live by the feed
 * (see `TrailPath`: only the last 15 minutes, broken where the vehicle went silent).
 * Live points that arrive while the history is loading are kept and appended after it.
 */
export class TrailLayer {
  readonly #casing: L.Polyline
  readonly #line: L.Polyline
  readonly #load: HistoryLoader
  readonly #path = new TrailPath()
  #name: string | null = null
  #pending: Vehicle[] = []
  #loading: AbortController | null = null

  constructor(map: L.Map, load: HistoryLoader) {
    this.#load = load
    const common = { interactive: false, lineCap: 'round', lineJoin: 'round', smoothFactor: 1 } as const
    this.#casing = L.polyline([], { ...common, color: '#ffffff', weight: 7, opacity: 0.9 }).addTo(map)
    this.#line = L.polyline([], {
      ...common,
      color: '#ea580c',
      weight: 3.5,
      opacity: 0.95,
      className: 'trail-line',
    }).addTo(map)
  }

  /** Shows `name`'s trail; resolves when its history is drawn (or failed to load). */
  async show(name: string, now = Date.now()): Promise<void> {
    this.clear()
    this.#name = name
    const loading = (this.#loading = new AbortController())
    let positions: Position[] = []
    try {
      positions = await this.#load(name, new Date(now - TRAIL_WINDOW_MS), loading.signal)
    } catch (error) {
      if (loading.signal.aborted) return
      console.warn('trail history unavailable', error)
    }
    if (loading.signal.aborted) return
    this.#loading = null
    this.#path.add([...positions, ...this.#pending])
    this.#pending = []
    this.#draw()
  }

  /** Extends the trail with live states of the selected vehicle (one redraw per frame). */
  extend(vehicles: readonly Vehicle[]): void {
    if (this.#name === null) return
    const mine = vehicles.filter((vehicle) => vehicle.name === this.#name)
    if (this.#loading) this.#pending.push(...mine)
    else if (this.#path.add(mine)) this.#draw()
  }

  clear(): void {
    this.#loading?.abort()
    this.#loading = null
    this.#name = null
    this.#pending = []
    this.#path.clear()
    this.#draw()
  }

  #draw(): void {
    const latLngs = this.#path.latLngs()
    this.#casing.setLatLngs(latLngs)
    this.#line.setLatLngs(latLngs)
  }
}
