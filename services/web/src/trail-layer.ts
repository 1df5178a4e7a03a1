import L from 'leaflet'
import type { Position, Vehicle } from './types.ts'

/** How far back a selected vehicle's trail starts. */
export const TRAIL_WINDOW_MS = 15 * 60_000
const MAX_POINTS = 20_000

export type HistoryLoader = (name: string, from: Date, signal: AbortSignal) => Promise<Position[]>

/**
 * The selected vehicle's recent path: its history from the API, then extended live by the feed.
 * Live points that arrive while the history is loading are kept and appended after it.
 */
export class TrailLayer {
  readonly #casing: L.Polyline
  readonly #line: L.Polyline
  readonly #load: HistoryLoader
  #name: string | null = null
  #lastTime = -Infinity
  #points: L.LatLng[] = []
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
    this.#append([...positions, ...this.#pending])
    this.#pending = []
  }

  /** Extends the trail with live states of the selected vehicle. */
  extend(vehicles: readonly Vehicle[]): void {
    if (this.#name === null) return
    const mine = vehicles.filter((vehicle) => vehicle.name === this.#name)
    if (this.#loading) this.#pending.push(...mine)
    else if (mine.length > 0) this.#append(mine)
  }

  clear(): void {
    this.#loading?.abort()
    this.#loading = null
    this.#name = null
    this.#pending = []
    this.#lastTime = -Infinity
    this.#points = []
    this.#draw()
  }

  /** Adds the positions newer than the trail's end, then redraws once (not once per point). */
  #append(positions: ReadonlyArray<Position | Vehicle>): void {
    for (const position of positions) {
      const time = Date.parse(position.timestamp)
      if (!(time > this.#lastTime)) continue
      this.#lastTime = time
      this.#points.push(L.latLng(position.lat, position.lng))
    }
    if (this.#points.length > MAX_POINTS) this.#points = this.#points.slice(-MAX_POINTS / 2)
    this.#draw()
  }

  #draw(): void {
    this.#casing.setLatLngs(this.#points)
    this.#line.setLatLngs(this.#points)
  }
}
