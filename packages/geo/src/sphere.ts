/**
 * Distances and bearings on the Earth, as a sphere of the mean radius: the one place Convoy
 * computes them (the speed and heading of the tracker and fleet-events, the simulator's circuits, the
 * web build's roads).
 * Within 0.5% of the ellipsoid everywhere, far inside what a GPS position knows.
 */

/** A point on the Earth: degrees north and east. */
export interface Point {
  lat: number
  lng: number
}

/** The Earth's mean radius (IUGG), in metres. */
export const EARTH_RADIUS_M = 6_371_008.8

/** Degrees to radians. */
export const radians = (degrees: number) => (degrees * Math.PI) / 180

/** Great-circle distance from a to b in metres (haversine). */
export function distanceMetres(a: Point, b: Point): number {
  const h =
    Math.sin(radians(b.lat - a.lat) / 2) ** 2 +
    Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(radians(b.lng - a.lng) / 2) ** 2
  // min: rounding can push h a hair above 1 for antipodal points, where asin is NaN.
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDegrees(a: Point, b: Point): number {
  const y = Math.sin(radians(b.lng - a.lng)) * Math.cos(radians(b.lat))
  const x =
    Math.cos(radians(a.lat)) * Math.sin(radians(b.lat)) -
    Math.sin(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.cos(radians(b.lng - a.lng))
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360
}
