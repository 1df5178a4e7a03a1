import type { Bounds } from '../shared/types.ts'

export type LatLngPair = [number, number]

/**
 * Chooses the map's first view, once and the same way every time, whatever order the data
 * arrives in: the area of the tracks (the road drawing's home bounds) as soon as the drawing is
 * loaded; only if it cannot be loaded, the vehicles of the first snapshot (`GET /api/vehicles`).
 * Live frames never choose it (they carry only the vehicles that moved), and nothing moves the map
 * once the user has (or a selection has).
 */
export class InitialView {
  readonly #fit: (points: LatLngPair[]) => void
  #chosen = false
  #roads: 'loading' | 'loaded' | 'failed' = 'loading'
  #snapshot: LatLngPair[] | null = null

  constructor(fit: (points: LatLngPair[]) => void) {
    this.#fit = fit
  }

  /** Whether the view has been chosen (by the data or by the user). */
  get chosen(): boolean {
    return this.#chosen
  }

  /** The user moved the map, or a selection did: from now on data never moves it. */
  userMoved(): void {
    this.#chosen = true
  }

  roadsLoaded(home: Bounds): void {
    this.#roads = 'loaded'
    this.#choose(home)
  }

  roadsFailed(): void {
    this.#roads = 'failed'
    if (this.#snapshot) this.#choose(this.#snapshot)
  }

  /** A full snapshot; only the first one with vehicles counts. */
  snapshotLoaded(vehicles: ReadonlyArray<{ lat: number; lng: number }>): void {
    if (this.#snapshot !== null || vehicles.length === 0) return
    this.#snapshot = vehicles.map((vehicle): LatLngPair => [vehicle.lat, vehicle.lng])
    if (this.#roads === 'failed') this.#choose(this.#snapshot)
  }

  #choose(points: LatLngPair[]): void {
    if (this.#chosen) return
    this.#chosen = true
    this.#fit(points)
  }
}
