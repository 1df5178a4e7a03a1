import type { Vehicle } from '@convoy/contracts'
import { motion, type Fix } from './motion.ts'

/** What is stored of a vehicle before a batch: its newest fix and the heading it was given. */
export interface Stored {
  fix: Fix
  heading: number
}

/**
 * The fixes that decide a vehicle's next latest state: the two newest of its stored newest fix
 * and the batch's reports. When the batch brings nothing newer than what is stored (a batch of
 * late reports), those do not decide: one may fall between the vehicle's two newest fixes in its
 * history, which the caller must read instead (`late`).
 */
export function decidingFixes(stored: Stored | undefined, reports: Fix[]): { fixes: Fix[]; late: boolean } {
  const fixes = stored ? [stored.fix, ...reports] : reports
  const late = stored !== undefined && newestTwo(fixes)[0].time <= stored.fix.time
  return { fixes, late }
}

/**
 * A vehicle's latest state from its deciding fixes: where the newest one is, with the speed and
 * heading of the way from the one before it in time. Standing still (or no fix before) keeps the
 * `heading` it had, rather than pointing north.
 */
export function latestState(name: string, fixes: Fix[], heading: number): Vehicle {
  const [newest, previous] = newestTwo(fixes)
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

/** The newest fix, and the newest one strictly before it in time (none if all are as new). */
function newestTwo(fixes: Fix[]): [Fix, Fix | undefined] {
  let newest = fixes[0]!
  for (const f of fixes) if (f.time > newest.time) newest = f
  let previous: Fix | undefined
  for (const f of fixes) if (f.time < newest.time && (!previous || f.time > previous.time)) previous = f
  return [newest, previous]
}
