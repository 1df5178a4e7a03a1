/**
 * Which geofence a point is in: the pure geometry, nothing else. Circles are measured on the
 * Earth (great-circle distance, `@convoy/geo`); polygons are drawn on the map, so their edges are
 * straight lines in degrees of latitude and longitude, as the web map draws them, and a point is
 * inside by the even-odd rule. A point exactly on an edge may fall either side.
 */
import type { GeofenceShape } from '@convoy/contracts'
import { distanceMetres, type Point } from '@convoy/geo'

/** Is `point` inside `polygon` (its corners in order, the last joined back to the first)? */
export function inPolygon(point: Point, polygon: readonly Point[]): boolean {
  let inside = false
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!
    const b = polygon[j]!
    // The edge crosses the point's parallel to its east: a ray eastwards crosses the boundary.
    if (a.lat > point.lat !== b.lat > point.lat) {
      const crossingLng = a.lng + ((point.lat - a.lat) / (b.lat - a.lat)) * (b.lng - a.lng)
      if (point.lng < crossingLng) inside = !inside
    }
  }
  return inside
}

/** Is `point` within `radiusMetres` of `center`? */
export function inCircle(point: Point, center: Point, radiusMetres: number): boolean {
  return distanceMetres(point, center) <= radiusMetres
}

/**
 * A shape as a test of points, made once per shape: a polygon first checks its bounding box, so a
 * point far from it costs four comparisons rather than a walk round every corner.
 */
export function containment(shape: GeofenceShape): (point: Point) => boolean {
  if (shape.type === 'circle') return (point) => inCircle(point, shape.center, shape.radiusMetres)
  const { points } = shape
  const lats = points.map((p) => p.lat)
  const lngs = points.map((p) => p.lng)
  const [south, north, west, east] = [
    Math.min(...lats),
    Math.max(...lats),
    Math.min(...lngs),
    Math.max(...lngs),
  ]
  return (point) =>
    point.lat >= south &&
    point.lat <= north &&
    point.lng >= west &&
    point.lng <= east &&
    inPolygon(point, points)
}

/**
 * Why a shape that passed the schema (ranges, counts) still cannot be a geofence, or undefined:
 * a polygon with a corner repeated in a row, an edge across the antimeridian (it would be drawn
 * the long way round), or edges that cross or overlap (no inside to speak of). The check compares
 * every pair of edges: 125,000 pairs for the largest polygon, a few milliseconds once per save.
 */
export function shapeProblem(shape: GeofenceShape): string | undefined {
  if (shape.type === 'circle') return undefined
  const points = shape.points
  const n = points.length
  for (let i = 0; i < n; i++) {
    const a = points[i]!
    const b = points[(i + 1) % n]!
    if (a.lat === b.lat && a.lng === b.lng) return `points ${i} and ${(i + 1) % n} are the same place`
    if (Math.abs(a.lng - b.lng) > 180)
      return `the edge from point ${i} crosses the antimeridian (longitude ±180), which a geofence may not`
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (edgesCross(points, i, j))
        return `the edges from points ${i} and ${j} cross: a polygon's edges may not`
    }
  }
  return undefined
}

/** Do edge i (point i to the next) and edge j meet anywhere but the corner two neighbours share? */
function edgesCross(points: readonly Point[], i: number, j: number): boolean {
  const n = points.length
  const [a, b] = [points[i]!, points[(i + 1) % n]!]
  const [c, d] = [points[j]!, points[(j + 1) % n]!]
  // Neighbours share a corner: they cross only by folding back along each other.
  if (j === i + 1) return foldsBack(a, b, d)
  if (i === 0 && j === n - 1) return foldsBack(c, d, b)
  return segmentsMeet(a, b, c, d)
}

/** Does the way a → b → c turn straight back, b → c running over a → b? */
function foldsBack(a: Point, b: Point, c: Point): boolean {
  return turn(a, b, c) === 0 && (b.lng - a.lng) * (c.lng - b.lng) + (b.lat - a.lat) * (c.lat - b.lat) < 0
}

/** Do segments ab and cd share any point (touching counts)? */
function segmentsMeet(a: Point, b: Point, c: Point, d: Point): boolean {
  const [t1, t2, t3, t4] = [turn(a, b, c), turn(a, b, d), turn(c, d, a), turn(c, d, b)]
  if (t1 * t2 < 0 && t3 * t4 < 0) return true
  return (
    (t1 === 0 && within(a, b, c)) ||
    (t2 === 0 && within(a, b, d)) ||
    (t3 === 0 && within(c, d, a)) ||
    (t4 === 0 && within(c, d, b))
  )
}

/** Which way a → b → c turns: 1 left, -1 right, 0 straight on. */
function turn(a: Point, b: Point, c: Point): number {
  return Math.sign((b.lng - a.lng) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lng - a.lng))
}

/** Is p, on the line through a and b, between them? */
function within(a: Point, b: Point, p: Point): boolean {
  return (
    Math.min(a.lng, b.lng) <= p.lng &&
    p.lng <= Math.max(a.lng, b.lng) &&
    Math.min(a.lat, b.lat) <= p.lat &&
    p.lat <= Math.max(a.lat, b.lat)
  )
}
