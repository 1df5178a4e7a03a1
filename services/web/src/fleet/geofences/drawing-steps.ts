/**
 * The steps of drawing a geofence, without the map: what a new point does (by pointer or at the
 * crosshair), and what the panel says and offers at each step. `GeofenceDrawing` and the panel
 * share it.
 */
import { MIN_POLYGON_POINTS } from '@convoy/contracts'
import { plural } from '../../shared/plural.ts'

export type DrawingKind = 'circle' | 'polygon'

/** A place on the map's container, in pixels. */
export interface Pixel {
  x: number
  y: number
}

/** A point this close to the first corner (a click's slack) closes the polygon. */
export const CLOSE_PX = 10
/** A point this close to the last one is the same place again: a second click, Space held down. */
export const SAME_PLACE_PX = 3

const apart = (a: Pixel, b: Pixel) => Math.hypot(a.x - b.x, a.y - b.y)

/**
 * What a new point `at` does to a drawing with `placed` points: the circle's edge or the polygon's
 * first corner again finishes it; the same place as the last point again is ignored (a corner
 * repeated, or a circle of no radius, the server would refuse); anything else is added.
 */
export function nextStep(
  kind: DrawingKind,
  placed: readonly Pixel[],
  at: Pixel,
): 'add' | 'finish' | 'ignore' {
  const last = placed.at(-1)
  if (kind === 'circle') {
    if (!last) return 'add'
    return apart(last, at) < SAME_PLACE_PX ? 'ignore' : 'finish'
  }
  const first = placed[0]
  if (first && mayFinishPolygon(placed.length) && apart(first, at) < CLOSE_PX) return 'finish'
  return last && apart(last, at) < SAME_PLACE_PX ? 'ignore' : 'add'
}

/** Whether a polygon of `corners` may be finished. */
export const mayFinishPolygon = (corners: number) => corners >= MIN_POLYGON_POINTS

/** The panel's button that places a point at the crosshair (the map's centre), for this step. */
export function centreActionLabel(kind: DrawingKind, placed: number): string {
  if (kind === 'polygon') return 'Add a corner at the crosshair'
  return placed === 0 ? 'Put the centre at the crosshair' : 'Put the edge at the crosshair'
}

const KEYS = 'or move the map with the arrow keys and press Space to use the place under the crosshair'

/** What to do next, said in the panel (and read out: it is a live region). */
export function drawingHint(kind: DrawingKind, placed: number): string {
  if (kind === 'circle') {
    return placed === 0
      ? `Click the centre on the map, then a point of its edge, ${KEYS}. Escape gives up.`
      : 'Centre set. Now click a point of its edge, or move the crosshair onto it and press Space. Escape gives up.'
  }
  if (placed === 0)
    return `Click each corner on the map, ${KEYS}. Click the first corner again or press Enter to finish. Escape gives up.`
  const missing = MIN_POLYGON_POINTS - placed
  const next =
    missing > 0
      ? `Add at least ${missing} more`
      : 'Add more, or finish: click the first corner again or press Enter'
  return `${placed} ${plural(placed, 'corner')} so far. ${next}. Backspace takes the last back; Escape gives up.`
}
