import type { Vehicle } from '../shared/types.ts'

/** A vehicle not heard from for this long is shown as stale (faded). */
export const STALE_MS = 60_000
/** Below this speed a vehicle is shown as stopped. */
export const STOPPED_KMH = 1

export type VehicleStatus = 'moving' | 'stopped' | 'stale'

export function statusOf(vehicle: Vehicle, now: number): VehicleStatus {
  if (now - Date.parse(vehicle.timestamp) > STALE_MS) return 'stale'
  return vehicle.speedKmh < STOPPED_KMH ? 'stopped' : 'moving'
}

const POINTS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const

/** `47` → `NE`: the compass point nearest a heading in degrees clockwise from north. */
export function compassPoint(heading: number): string {
  const index = Math.round((((heading % 360) + 360) % 360) / 45) % 8
  return POINTS[index] ?? 'N'
}
