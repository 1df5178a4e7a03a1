/**
 * Scripted journeys for the tracker's tests and benchmarks: a vehicle's positions second by
 * second, from legs of driving, halting and silence.
 */
import type { PositionReport } from '@convoy/contracts'
import type { TimedPoint } from '@convoy/geo'

const METRES_PER_DEGREE = 111_195

export type Leg =
  /** Drive for `seconds` at `kmh`, `heading` degrees clockwise from north. */
  | { drive: number; kmh: number; heading: number }
  /** Stand still for `seconds`, reporting positions up to `jitterMetres` off (a GPS's noise). */
  | { halt: number; jitterMetres?: number }
  /** Report nothing for `seconds` (a tracker switched off), standing still. */
  | { silence: number }

/**
 * One position a second from `start`, leg after leg, the first at `start` itself: a leg of
 * `drive: 600` adds 600 positions, the last of them 600 s on. Deterministic: the same legs give
 * the same positions.
 */
export function journey(start: TimedPoint, legs: Leg[]): TimedPoint[] {
  const positions: TimedPoint[] = [start]
  let { lat, lng, time } = start
  for (const leg of legs) {
    if ('silence' in leg) {
      time += leg.silence * 1000
      continue
    }
    const seconds = 'drive' in leg ? leg.drive : leg.halt
    for (let s = 1; s <= seconds; s++) {
      time += 1000
      if ('drive' in leg) {
        const metres = leg.kmh / 3.6
        const heading = (leg.heading * Math.PI) / 180
        lat += (Math.cos(heading) * metres) / METRES_PER_DEGREE
        lng += (Math.sin(heading) * metres) / (METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180))
        positions.push({ lat, lng, time })
      } else {
        // Noise that wanders round the place where it stands, the same every run.
        const off = ((leg.jitterMetres ?? 0) * Math.sin(s * 1.7)) / METRES_PER_DEGREE
        positions.push({ lat: lat + off, lng: lng - off, time })
      }
    }
  }
  return positions
}

/** The positions as a device would report them. */
export const reportsOf = (vehicle: string, positions: readonly TimedPoint[]): PositionReport[] =>
  positions.map(({ lat, lng, time }) => ({ vehicle, lat, lng, timestamp: new Date(time).toISOString() }))
