import type { Vehicle } from '@convoy/contracts'
import { motion, type TimedPoint } from '@convoy/geo'

/** What is stored of a vehicle before a batch: its newest position and the heading it was given. */
export interface Stored {
  position: TimedPoint
  heading: number
}

/**
 * The positions that decide a vehicle's next latest state: the two newest of its stored newest position
 * and the batch's reports. When the batch brings nothing newer than what is stored (a batch of
 * late reports), those do not decide: one may fall between the vehicle's two newest positions in its
 * history, which the caller must read instead (`late`).
 */
export function decidingPositions(
  stored: Stored | undefined,
  reports: TimedPoint[],
): { positions: TimedPoint[]; late: boolean } {
  const positions = stored ? [stored.position, ...reports] : reports
  const late = stored !== undefined && newestTwo(positions)[0].time <= stored.position.time
  return { positions, late }
}

/**
 * A vehicle's latest state from its deciding positions: where the newest one is, with the speed and
 * heading of the way from the one before it in time. Standing still (or no position before) keeps the
 * `heading` it had, rather than pointing north.
 */
export function latestState(name: string, positions: TimedPoint[], heading: number): Vehicle {
  const [newest, previous] = newestTwo(positions)
  const { speedKmh, heading: direction } = motion(previous, newest, heading)
  return {
    name,
    lat: newest.lat,
    lng: newest.lng,
    speedKmh,
    heading: direction,
    timestamp: new Date(newest.time).toISOString(),
  }
}

/** The newest position, and the newest one strictly before it in time (none if all are as new). */
function newestTwo(positions: TimedPoint[]): [TimedPoint, TimedPoint | undefined] {
  let newest = positions[0]!
  for (const f of positions) if (f.time > newest.time) newest = f
  let previous: TimedPoint | undefined
  for (const f of positions) if (f.time < newest.time && (!previous || f.time > previous.time)) previous = f
  return [newest, previous]
}
