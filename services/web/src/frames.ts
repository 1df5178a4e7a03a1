import type { LiveFrame, Media, Notification, Vehicle } from './types.ts'

const STATUSES = new Set(['uploaded', 'converting', 'ready', 'failed'])

/**
 * Reads one message of the `/api/live` feed: a `positions` frame (its vehicles), or a `media` or
 * `notification` event of the signed-in user. Anything else is null (unknown frame types are
 * ignored, as the contract asks). Vehicles that do not look like the contract's `Vehicle` are
 * dropped rather than drawn in the wrong place; an event that does not look like its contract is
 * dropped whole.
 */
export function readFrame(data: unknown): LiveFrame | null {
  if (typeof data !== 'string') return null
  let frame: unknown
  try {
    frame = JSON.parse(data)
  } catch {
    return null
  }
  if (!isObject(frame)) return null
  if (frame.type === 'positions' && Array.isArray(frame.vehicles))
    return { type: 'positions', vehicles: frame.vehicles.filter(isVehicle) }
  if (frame.type === 'media' && isMedia(frame.media)) return { type: 'media', media: frame.media }
  if (frame.type === 'notification' && isNotification(frame.notification))
    return { type: 'notification', notification: frame.notification }
  return null
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
    isTimestamp(value.timestamp)
  )
}

export function isMedia(value: unknown): value is Media {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.filename === 'string' &&
    isFiniteNumber(value.size) &&
    typeof value.status === 'string' &&
    STATUSES.has(value.status) &&
    isTimestamp(value.createdAt) &&
    isTimestamp(value.updatedAt) &&
    (value.error === undefined || typeof value.error === 'string')
  )
}

export function isNotification(value: unknown): value is Notification {
  return (
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.kind === 'string' &&
    typeof value.title === 'string' &&
    typeof value.body === 'string' &&
    (value.mediaId === undefined || typeof value.mediaId === 'string') &&
    isTimestamp(value.createdAt)
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value))
}
