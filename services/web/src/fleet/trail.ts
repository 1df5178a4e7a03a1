/** How far back a selected vehicle's trail reaches. */
export const TRAIL_WINDOW_MS = 15 * 60_000
/** A longer silence between two positions (a restart, a tunnel) breaks the line there. */
export const TRAIL_GAP_MS = 60_000
/** A guard against runaway memory whatever the timestamps say. */
const MAX_POINTS = 20_000

export interface Timed {
  lat: number
  lng: number
  /** ISO 8601. */
  timestamp: string
}

interface TrailPoint {
  latLng: [number, number]
  time: number
}

/**
 * The selected vehicle's recent path as line segments: positions are added oldest first, points
 * older than `windowMs` before the newest one are dropped, and a gap of more than `gapMs` between
 * two positions starts a new segment rather than drawing a straight line across the map.
 */
export class TrailPath {
  readonly #windowMs: number
  readonly #gapMs: number
  #segments: TrailPoint[][] = []
  #lastTime = -Infinity
  #size = 0

  constructor(windowMs = TRAIL_WINDOW_MS, gapMs = TRAIL_GAP_MS) {
    this.#windowMs = windowMs
    this.#gapMs = gapMs
  }

  /** How many points the trail holds. */
  get size(): number {
    return this.#size
  }

  /** Adds the positions newer than the trail's end; returns whether anything changed. */
  add(positions: Iterable<Timed>): boolean {
    let changed = false
    for (const position of positions) {
      const time = Date.parse(position.timestamp)
      if (!(time > this.#lastTime)) continue
      const last = this.#segments.at(-1)
      const point: TrailPoint = { latLng: [position.lat, position.lng], time }
      if (last === undefined || time - this.#lastTime > this.#gapMs) this.#segments.push([point])
      else last.push(point)
      this.#lastTime = time
      this.#size++
      changed = true
    }
    if (changed) this.#trim()
    return changed
  }

  clear(): void {
    this.#segments = []
    this.#lastTime = -Infinity
    this.#size = 0
  }

  /** The segments as `[lat, lng]` arrays, the form Leaflet's multi-polylines take. */
  latLngs(): Array<Array<[number, number]>> {
    return this.#segments.map((segment) => segment.map((point) => point.latLng))
  }

  #trim(): void {
    const cutoff = this.#lastTime - this.#windowMs
    while (this.#segments.length > 0) {
      const first = this.#segments[0] as TrailPoint[]
      const lastTime = (first.at(-1) as TrailPoint).time
      const keepFrom = lastTime < cutoff ? first.length : first.findIndex((point) => point.time >= cutoff)
      const drop = Math.max(keepFrom, this.#size - MAX_POINTS)
      if (drop <= 0) return
      if (drop >= first.length) {
        this.#segments.shift()
        this.#size -= first.length
      } else {
        first.splice(0, drop)
        this.#size -= drop
        return
      }
    }
  }
}
