import type { Vehicle } from './types.ts'

/**
 * Reads one message of the `/api/live` feed. Returns the vehicles of a `positions` frame, and null
 * for anything else (unknown frame types are ignored, as the contract asks). Vehicles that do not
 * look like the contract's `Vehicle` are dropped rather than drawn in the wrong place.
 */
export function parseFrame(data: unknown): Vehicle[] | null {
  if (typeof data !== 'string') return null
  let frame: unknown
  try {
    frame = JSON.parse(data)
  } catch {
    return null
  }
  if (!isObject(frame) || frame.type !== 'positions' || !Array.isArray(frame.vehicles)) return null
  return frame.vehicles.filter(isVehicle)
}

export function isVehicle(value: unknown): value is Vehicle {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    value.name !== '' &&
    isFiniteNumber(value.lat) &&
    isFiniteNumber(value.lng) &&
    isFiniteNumber(value.speedKmh) &&
    isFiniteNumber(value.heading) &&
    typeof value.timestamp === 'string' &&
    !Number.isNaN(Date.parse(value.timestamp))
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}
