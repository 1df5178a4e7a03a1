import { bearingDegrees as bearing, distanceMetres } from '@convoy/geo'
import type { Point } from '@convoy/tracks'

/** A closed track measured in metres: where a vehicle is after driving some distance along it. */
export interface Circuit {
  length: number
  at(distance: number): Point
  /** Degrees the road turns over the next `ahead` metres (0 = straight on). */
  turnAhead(distance: number, ahead: number): number
}

/**
 * A circuit along recorded points, driven in a loop. A track whose end is not where it starts is
 * closed with a last leg back to the start, so a lap never ends in a jump.
 */
export function createCircuit(recorded: Point[]): Circuit {
  const points = distanceMetres(recorded[0]!, recorded.at(-1)!) > 1 ? [...recorded, recorded[0]!] : recorded
  const cumulative = [0]
  for (let i = 1; i < points.length; i++)
    cumulative.push(cumulative[i - 1]! + distanceMetres(points[i - 1]!, points[i]!))
  const length = cumulative.at(-1)!

  // Index of the segment [i, i+1] holding a distance, by binary search.
  function segment(distance: number): number {
    let low = 0
    let high = cumulative.length - 2
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (cumulative[mid]! <= distance) low = mid
      else high = mid - 1
    }
    return low
  }

  const wrap = (distance: number) => ((distance % length) + length) % length

  function at(distance: number): Point {
    const d = wrap(distance)
    const i = segment(d)
    const start = points[i]!
    const end = points[i + 1]!
    const span = cumulative[i + 1]! - cumulative[i]!
    const f = span > 0 ? (d - cumulative[i]!) / span : 0
    return { lat: start.lat + (end.lat - start.lat) * f, lng: start.lng + (end.lng - start.lng) * f }
  }

  function turnAhead(distance: number, ahead: number): number {
    const here = at(distance)
    const mid = at(distance + ahead / 2)
    const there = at(distance + ahead)
    const turn = Math.abs(bearing(mid, there) - bearing(here, mid)) % 360
    return turn > 180 ? 360 - turn : turn
  }

  return { length, at, turnAhead }
}
