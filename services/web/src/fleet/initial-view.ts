import type { Bounds } from '../shared/types.ts'

export type LatLngPair = [number, number]

/**
 * Chooses the map's first view, once and the same way every time, whatever order the data
 * arrives in: every vehicle of the first snapshot (`GET /api/vehicles`) that has any. Until then —
 * and for a fleet without vehicles — the area of the tracks (the road drawing's home bounds) is
 * shown, without choosing. Live frames never choose it (they carry only the vehicles that moved),
 * and nothing moves the map once the user has (or a selection has).
 */
export class InitialView {
  readonly #fit: (points: LatLngPair[]) => void
  #chosen = false

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

  /** The road drawing's home: shown while there is no vehicle to show. */
  roadsLoaded(home: Bounds): void {
    if (!this.#chosen) this.#fit(home)
  }

  /** A full snapshot; the first one with vehicles chooses the view. */
  snapshotLoaded(vehicles: ReadonlyArray<{ lat: number; lng: number }>): void {
    if (this.#chosen || vehicles.length === 0) return
    this.#chosen = true
    this.#fit(vehicles.map((vehicle): LatLngPair => [vehicle.lat, vehicle.lng]))
  }
}
