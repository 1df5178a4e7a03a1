export interface Fix {
  lat: number
  lng: number
  /** Milliseconds since the epoch. */
  time: number
}

const EARTH_RADIUS_M = 6_371_008.8
const rad = (deg: number) => (deg * Math.PI) / 180

/** Great-circle distance in metres (haversine). */
export function distanceMetres(a: Fix, b: Fix): number {
  const dLat = rad(b.lat - a.lat)
  const dLng = rad(b.lng - a.lng)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDegrees(a: Fix, b: Fix): number {
  const y = Math.sin(rad(b.lng - a.lng)) * Math.cos(rad(b.lat))
  const x =
    Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) -
    Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lng - a.lng))
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360
}

/**
 * Speed (km/h, one decimal) and heading (degrees, one decimal) of a vehicle arriving at `current`
 * from `previous`, the fix just before it in time. Without a previous fix, or standing still,
 * the speed is 0 and the heading is `fallbackHeading`.
 */
export function motion(
  previous: Fix | undefined,
  current: Fix,
  fallbackHeading = 0,
): { speedKmh: number; heading: number } {
  if (!previous || current.time <= previous.time) return { speedKmh: 0, heading: fallbackHeading }
  const metres = distanceMetres(previous, current)
  const hours = (current.time - previous.time) / 3_600_000
  const speedKmh = Math.round((metres / 1000 / hours) * 10) / 10
  const heading = metres < 0.5 ? fallbackHeading : Math.round(bearingDegrees(previous, current) * 10) / 10
  return { speedKmh, heading: heading === 360 ? 0 : heading }
}
