import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Point } from '@convoy/geo'
import { containment, inCircle, inPolygon, shapeProblem } from './geometry.ts'

const p = (lat: number, lng: number) => ({ lat, lng })
/** A square a tenth of a degree wide round Sheffield's centre. */
const square = [p(53.3, -1.5), p(53.4, -1.5), p(53.4, -1.4), p(53.3, -1.4)]

test('a point is inside a square, and not beside, above or below it', () => {
  assert.equal(inPolygon(p(53.35, -1.45), square), true)
  assert.equal(inPolygon(p(53.35, -1.55), square), false)
  assert.equal(inPolygon(p(53.45, -1.45), square), false)
  assert.equal(inPolygon(p(53.25, -1.45), square), false)
})

test('the notch of a concave polygon is outside it', () => {
  // A U: the gap between its arms, from the top down to lat 53.35, is not inside.
  const u = [
    p(53.3, -1.5),
    p(53.4, -1.5),
    p(53.4, -1.47),
    p(53.35, -1.47),
    p(53.35, -1.43),
    p(53.4, -1.43),
    p(53.4, -1.4),
    p(53.3, -1.4),
  ]
  assert.equal(inPolygon(p(53.38, -1.45), u), false)
  assert.equal(inPolygon(p(53.38, -1.49), u), true)
  assert.equal(inPolygon(p(53.32, -1.45), u), true)
})

test('a circle holds what is within its radius on the Earth: 1 km north of its centre is 1,000 m away', () => {
  const center = p(53.38, -1.47)
  const north1km = p(53.38 + 1000 / 111_195, -1.47)
  assert.equal(inCircle(north1km, center, 1001), true)
  assert.equal(inCircle(north1km, center, 999), false)
  // East, a degree of longitude is shorter at 53°N: 0.015° ≈ 1.0 km there, not 1.7 km.
  assert.equal(inCircle(p(53.38, -1.455), center, 1001), true)
})

test('containment compiles either shape to the same answers', () => {
  const circle = containment({ type: 'circle', center: p(53.38, -1.47), radiusMetres: 500 })
  assert.equal(circle(p(53.38, -1.47)), true)
  assert.equal(circle(p(53.39, -1.47)), false)
  const polygon = containment({ type: 'polygon', points: square })
  assert.equal(polygon(p(53.35, -1.45)), true)
  assert.equal(polygon(p(10, 10)), false)
})

test('a circle and a simple polygon have no problem', () => {
  assert.equal(shapeProblem({ type: 'circle', center: p(0, 0), radiusMetres: 1 }), undefined)
  assert.equal(shapeProblem({ type: 'polygon', points: square }), undefined)
  // A polygon across the equator and the prime meridian is as good as any.
  assert.equal(shapeProblem({ type: 'polygon', points: [p(-1, -1), p(1, -1), p(1, 1), p(-1, 1)] }), undefined)
})

test('polygons whose edges cross, overlap or fold back are refused, naming the edges', () => {
  const cases: Array<[string, Point[], RegExp]> = [
    [
      'a bow tie',
      [p(53.3, -1.5), p(53.4, -1.4), p(53.4, -1.5), p(53.3, -1.4)],
      /edges from points 0 and 2 cross/,
    ],
    ['three points in a line', [p(53.3, -1.5), p(53.35, -1.5), p(53.4, -1.5)], /cross/],
    [
      'a spike back along an edge',
      [p(53.3, -1.5), p(53.4, -1.5), p(53.35, -1.5), p(53.3, -1.4)],
      /edges from points 0 and 1 cross/,
    ],
    [
      'a corner touching another edge',
      [p(53.3, -1.5), p(53.4, -1.5), p(53.4, -1.4), p(53.35, -1.5), p(53.3, -1.4)],
      /cross/,
    ],
    [
      'a corner twice in a row',
      [p(53.3, -1.5), p(53.4, -1.5), p(53.4, -1.5), p(53.3, -1.4)],
      /points 1 and 2 are the same place/,
    ],
    ['the last corner repeating the first', [...square, square[0]!], /points 4 and 0 are the same place/],
    ['an edge across the antimeridian', [p(0, 179), p(1, -179), p(-1, -179)], /antimeridian/],
  ]
  for (const [what, points, problem] of cases)
    assert.match(shapeProblem({ type: 'polygon', points }) ?? 'none', problem, what)
})

test('the largest polygon allowed, 500 corners on a circle, is checked whole', () => {
  const points = Array.from({ length: 500 }, (_, i) =>
    p(53.38 + 0.05 * Math.sin((2 * Math.PI * i) / 500), -1.47 + 0.08 * Math.cos((2 * Math.PI * i) / 500)),
  )
  assert.equal(shapeProblem({ type: 'polygon', points }), undefined)
  // Swapping two neighbours makes their edges cross.
  ;[points[10], points[11]] = [points[11]!, points[10]!]
  assert.match(shapeProblem({ type: 'polygon', points }) ?? 'none', /cross/)
})
