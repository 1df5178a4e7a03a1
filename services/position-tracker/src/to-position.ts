import type { Position } from '@convoy/contracts'
import { motion, type TimedPoint } from '@convoy/geo'

/** `current` as the API answers it: a `Position`, with the speed it was reached at from `previous`. */
export function toPosition(previous: TimedPoint | undefined, current: TimedPoint): Position {
  return {
    lat: current.lat,
    lng: current.lng,
    speedKmh: motion(previous, current).speedKmh,
    timestamp: new Date(current.time).toISOString(),
  }
}
