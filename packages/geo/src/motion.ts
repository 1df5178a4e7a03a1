import { bearingDegrees, distanceMetres, type Point } from './sphere.ts'

/** A point at a time: a position as the maths takes it. */
export interface TimedPoint extends Point {
  /** Milliseconds since the epoch. */
  time: number
}

/**
 * Speed (km/h, one decimal) and heading (degrees, one decimal) of a vehicle arriving at `current`
 * from `previous`, the position just before it in time. Without a previous position, or standing still,
 * the speed is 0 and the heading is `fallbackHeading`.
 */
export function motion(
  previous: TimedPoint | undefined,
  current: TimedPoint,
  fallbackHeading = 0,
): { speedKmh: number; heading: number } {
  if (!previous || current.time <= previous.time) return { speedKmh: 0, heading: fallbackHeading }
  const metres = distanceMetres(previous, current)
  const hours = (current.time - previous.time) / 3_600_000
  const speedKmh = Math.round((metres / 1000 / hours) * 10) / 10
  const heading = metres < 0.5 ? fallbackHeading : Math.round(bearingDegrees(previous, current) * 10) / 10
  return { speedKmh, heading: heading === 360 ? 0 : heading }
}
