import { Check } from 'typebox/value'
import { LiveFrame, Media, Notification, Position, Vehicle } from '@convoy/contracts'

/**
 * Reads one message of the `/api/live` feed against the contract's `LiveFrame`: a `positions`
 * frame (its vehicles), or a `media` or `notification` event of the signed-in user. Anything else
 * is null (unknown frame types are ignored, as the contract asks). Vehicles that do not match
 * `Vehicle` are dropped one by one rather than drawn in the wrong place, the others kept; an
 * event that does not match its contract is dropped whole. (TypeBox's `Check` interprets the
 * schema: no `eval`, which the page's Content-Security-Policy forbids.)
 */
export function readFrame(data: unknown): LiveFrame | null {
  if (typeof data !== 'string') return null
  let frame: unknown
  try {
    frame = JSON.parse(data)
  } catch {
    return null
  }
  if (isObject(frame) && frame.type === 'positions' && Array.isArray(frame.vehicles))
    return { type: 'positions', vehicles: frame.vehicles.filter(isVehicle) }
  return Check(LiveFrame, frame) ? frame : null
}

export const isVehicle = (value: unknown): value is Vehicle => Check(Vehicle, value)
export const isPosition = (value: unknown): value is Position => Check(Position, value)
export const isMedia = (value: unknown): value is Media => Check(Media, value)
export const isNotification = (value: unknown): value is Notification => Check(Notification, value)

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
