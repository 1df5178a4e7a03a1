import type { Vehicle } from '../shared/types.ts'

export interface FleetChange {
  /** Vehicles that are new or moved, in their new state. */
  changed: Vehicle[]
  /** Names of vehicles that are gone. */
  removed: string[]
}

export type FleetListener = (change: FleetChange) => void

interface Entry {
  vehicle: Vehicle
  time: number
  /** When this browser last heard of the vehicle (ms since epoch). */
  receivedAt: number
}

/**
 * The browser's view of the fleet: latest state per vehicle, fed by snapshots (`GET /api/vehicles`)
 * and live frames. A state older than the one already known is ignored, so a snapshot that was
 * requested before a frame arrived cannot move a vehicle backwards.
 */
export class FleetState {
  readonly #entries = new Map<string, Entry>()
  readonly #listeners = new Set<FleetListener>()
  #membership = 0

  get size(): number {
    return this.#entries.size
  }

  /** Changes whenever a vehicle comes or goes (not when one moves): what the list's order depends on. */
  get membership(): number {
    return this.#membership
  }

  get(name: string): Vehicle | undefined {
    return this.#entries.get(name)?.vehicle
  }

  names(): IterableIterator<string> {
    return this.#entries.keys()
  }

  subscribe(listener: FleetListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Applies a live frame. */
  update(vehicles: readonly Vehicle[], now = Date.now()): void {
    const changed = this.#merge(vehicles, now)
    if (changed.length > 0) this.#emit({ changed, removed: [] })
  }

  /**
   * Applies a full snapshot requested at `requestedAt`: vehicles it lacks are removed, unless a
   * live frame mentioned them after the request was sent (they are newer than the snapshot).
   */
  replaceAll(snapshot: readonly Vehicle[], requestedAt: number, now = Date.now()): void {
    const changed = this.#merge(snapshot, now)
    const present = new Set(snapshot.map((vehicle) => vehicle.name))
    const removed: string[] = []
    for (const [name, entry] of this.#entries) {
      if (!present.has(name) && entry.receivedAt < requestedAt) {
        this.#entries.delete(name)
        this.#membership++
        removed.push(name)
      }
    }
    if (changed.length > 0 || removed.length > 0) this.#emit({ changed, removed })
  }

  #merge(vehicles: readonly Vehicle[], now: number): Vehicle[] {
    const changed: Vehicle[] = []
    for (const vehicle of vehicles) {
      const time = Date.parse(vehicle.timestamp)
      const known = this.#entries.get(vehicle.name)
      if (known && !(time > known.time)) {
        known.receivedAt = Math.max(known.receivedAt, now)
        continue
      }
      if (!known) this.#membership++
      this.#entries.set(vehicle.name, { vehicle, time, receivedAt: now })
      changed.push(vehicle)
    }
    return changed
  }

  #emit(change: FleetChange): void {
    for (const listener of this.#listeners) listener(change)
  }
}
