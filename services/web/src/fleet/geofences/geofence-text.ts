import { GeofenceName } from '@convoy/contracts'
import { Check } from 'typebox/value'
import { ApiError } from '../../shared/api-error.ts'
import type { Display } from '../../shared/display.ts'
import { problemText } from '../../shared/problem-text.ts'
import type { GeofenceShape } from '../../shared/types.ts'

/** The longest name a geofence may have (the contract's `GeofenceName`), in characters. */
export const MAX_NAME_LENGTH = 100

/** A geofence's shape in words, in the user's units: "Circle, 120 m radius", "Polygon, 5 corners". */
export function shapeText(shape: GeofenceShape, display: Pick<Display, 'distance'>): string {
  return shape.type === 'circle'
    ? `Circle, ${display.distance(shape.radiusMetres)} radius`
    : `Polygon, ${shape.points.length} corners`
}

/**
 * Why a name typed for a geofence (already trimmed) cannot be saved, or null: told before asking,
 * in words, where the server's answer would quote its schema ("body/name must match pattern …").
 */
export function nameProblem(name: string): string | null {
  if (name === '') return 'Give the geofence a name.'
  if (Check(GeofenceName, name)) return null
  if ([...name].length > MAX_NAME_LENGTH)
    return `A geofence's name may be at most ${MAX_NAME_LENGTH} characters.`
  return `A geofence's name may not hold control or invisible characters.`
}

/** The text saying the geofence being changed is not there any more (a 404 to the change). */
export const GONE = 'This geofence is not there any more: someone deleted it meanwhile.'

/**
 * What the user is told when saving a geofence failed: the server's words, but for a geofence
 * deleted meanwhile (its answer names the id) and a shape refused (its answer names the field).
 */
export function geofenceProblemText(failure: unknown): string {
  if (failure instanceof ApiError) {
    if (failure.status === 404) return GONE
    const shape = /^body\/shape: (.*)$/s.exec(failure.detail)
    if (failure.status === 400 && shape)
      return problemText(new ApiError(400, `the shape cannot be saved: ${shape[1]}`))
  }
  return problemText(failure)
}
