import { EARTH_RADIUS_M, radians, type Point } from '@convoy/geo'

/**
 * Douglas–Peucker simplification of a polyline, with `toleranceM` in metres.
 * Points are projected onto a local equirectangular plane, which is exact enough at city scale.
 * The first and last points are always kept.
 */
export function simplify<P extends Point>(points: readonly P[], toleranceM: number): P[] {
  if (points.length <= 2) return [...points]
  const first = points[0] as P
  const cosLat = Math.cos(radians(first.lat))
  const xy = points.map(
    (p) => [radians(p.lng) * cosLat * EARTH_RADIUS_M, radians(p.lat) * EARTH_RADIUS_M] as const,
  )
  const keep = new Uint8Array(points.length)
  keep[0] = 1
  keep[points.length - 1] = 1
  // An explicit stack instead of recursion: tracks have thousands of points.
  const stack: Array<[number, number]> = [[0, points.length - 1]]
  while (stack.length > 0) {
    const [start, end] = stack.pop() as [number, number]
    let farthest = -1
    let farthestDistance = toleranceM
    for (let i = start + 1; i < end; i++) {
      const distance = segmentDistance(xy[i]!, xy[start]!, xy[end]!)
      if (distance > farthestDistance) {
        farthest = i
        farthestDistance = distance
      }
    }
    if (farthest !== -1) {
      keep[farthest] = 1
      stack.push([start, farthest], [farthest, end])
    }
  }
  return points.filter((_, i) => keep[i] === 1)
}

type Xy = readonly [number, number]

/** Distance from p to the segment a–b, in the plane's units. */
function segmentDistance(p: Xy, a: Xy, b: Xy): number {
  const dx = b[0] - a[0]
  const dy = b[1] - a[1]
  const lengthSquared = dx * dx + dy * dy
  const t =
    lengthSquared === 0
      ? 0
      : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / lengthSquared))
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))
}
