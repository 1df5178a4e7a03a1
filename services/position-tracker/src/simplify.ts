import { distanceMetres, type Point } from '@convoy/geo'
import type { TimedPoint } from '@convoy/geo'

/** What a simplification kept, and how far the positions it dropped lie from the route it kept. */
export interface Simplified {
  /** Indices of the kept positions, ascending; always the first and the last. */
  kept: number[]
  /**
   * The largest synchronised distance of a dropped position (0 when none was dropped): within the
   * tolerance, unless the cap on kept positions stopped the simplification first.
   */
  maxErrorMetres: number
}

/**
 * Where a vehicle driving uniformly from `a` to `b` is at `time`: linear in latitude and longitude
 * (the shorter way round the antimeridian), as a map animates a marker between two positions.
 */
export function positionAt(a: TimedPoint, b: TimedPoint, time: number): Point {
  const fraction = b.time > a.time ? (time - a.time) / (b.time - a.time) : 0
  let deltaLng = b.lng - a.lng
  if (deltaLng > 180) deltaLng -= 360
  else if (deltaLng < -180) deltaLng += 360
  let lng = a.lng + deltaLng * fraction
  if (lng > 180) lng -= 360
  else if (lng < -180) lng += 360
  return { lat: a.lat + (b.lat - a.lat) * fraction, lng }
}

/**
 * The synchronised Euclidean distance (SED) of `p` from the segment `a`–`b`: how far `p` is from
 * where the vehicle would be at `p`'s time, driving uniformly from `a` to `b`. Unlike the distance
 * to the line, it counts a change of speed as well as a turn, so a replay of the kept positions
 * puts the vehicle where it was at every moment, not only on its path.
 */
export function synchronisedDistanceMetres(p: TimedPoint, a: TimedPoint, b: TimedPoint): number {
  return distanceMetres(p, positionAt(a, b, p.time))
}

/** A stretch between two kept positions, and its farthest position from the straight drive between them. */
interface Stretch {
  first: number
  last: number
  worst: number
  error: number
}

/**
 * Positions per window: a long drive is first cut every this many positions (about 17 minutes at
 * 1 Hz), and the cuts are kept. Plain Douglas–Peucker splits a day of laps round a circuit one
 * lap at a time, scanning the whole day for each (21 million distances for 86,400 positions);
 * windows bound a split's scan, for one kept position in 1,024 more than plain DP would keep.
 */
const WINDOW = 1024

/**
 * Douglas–Peucker on the synchronised distance (top-down time-ratio simplification): keeps the
 * first and last positions (and one every {@link WINDOW}), then splits at the position farthest
 * (in SED) from the uniform drive between the kept ones, until every dropped position is within
 * `toleranceMetres` of where the kept route puts the vehicle at its time — or `maxKept` positions
 * are kept. Stretches are split worst first (a max-heap), so a cap keeps the positions that
 * matter most. Each split scans two stretches of a window at most, so the work is bounded whatever
 * the positions: about n + 2 × 1,024 × `maxKept` distances (a 7-day replay, 21 million at worst).
 * Positions must be in time order.
 */
export function simplify(
  positions: readonly TimedPoint[],
  options: { toleranceMetres: number; maxKept: number },
): Simplified {
  const n = positions.length
  if (n <= 2) return { kept: positions.map((_, i) => i), maxErrorMetres: 0 }
  const maxKept = Math.max(2, options.maxKept)
  // Windows take at most half the cap, however many positions there are.
  const window = Math.max(WINDOW, Math.ceil((n - 1) / Math.max(1, Math.floor(maxKept / 2))))
  const keep = new Uint8Array(n)
  let kept = 0

  const stretch = (first: number, last: number): Stretch => {
    const a = positions[first]!
    const b = positions[last]!
    let worst = -1
    let error = 0
    for (let i = first + 1; i < last; i++) {
      const distance = synchronisedDistanceMetres(positions[i]!, a, b)
      if (distance > error) {
        error = distance
        worst = i
      }
    }
    return { first, last, worst, error }
  }

  const heap = new MaxHeap<Stretch>((s) => s.error)
  for (let first = 0; first < n - 1; first += window) {
    const last = Math.min(first + window, n - 1)
    keep[first] = 1
    kept++
    const part = stretch(first, last)
    if (part.worst >= 0) heap.push(part)
  }
  keep[n - 1] = 1
  kept++
  for (;;) {
    const top = heap.peek()
    if (!top || top.error <= options.toleranceMetres || kept >= maxKept) break
    heap.pop()
    keep[top.worst] = 1
    kept++
    for (const part of [stretch(top.first, top.worst), stretch(top.worst, top.last)])
      if (part.worst >= 0) heap.push(part)
  }

  const indices: number[] = []
  for (let i = 0; i < n; i++) if (keep[i]) indices.push(i)
  return { kept: indices, maxErrorMetres: heap.peek()?.error ?? 0 }
}

/** A binary max-heap by `key`: the stretch to split next in a few comparisons, not a scan. */
class MaxHeap<T> {
  private readonly items: T[] = []
  private readonly key: (item: T) => number
  constructor(key: (item: T) => number) {
    this.key = key
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    items.push(item)
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (this.key(items[parent]!) >= this.key(items[i]!)) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    items[0] = last
    for (let i = 0; ;) {
      const left = 2 * i + 1
      const right = left + 1
      let largest = i
      if (left < items.length && this.key(items[left]!) > this.key(items[largest]!)) largest = left
      if (right < items.length && this.key(items[right]!) > this.key(items[largest]!)) largest = right
      if (largest === i) break
      ;[items[largest], items[i]] = [items[i]!, items[largest]!]
      i = largest
    }
    return top
  }
}
