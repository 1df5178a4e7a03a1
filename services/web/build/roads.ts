import type { Bounds, RoadMap } from '../src/shared/types.ts'
import { distanceMetres, type Point } from '@convoy/geo'
import { simplify } from './simplify.ts'

export interface Track {
  name: string
  points: Point[]
}

/** Tracks whose middle is farther than this from the fleet's median are left out of the home view. */
const HOME_RADIUS_M = 12_000

/**
 * Turns the recorded tracks into the compact road drawing the app shows under the vehicles:
 * simplified polylines with coordinates rounded to ~1 m, the bounds of everything, and a "home"
 * view around where most tracks are (the Sheffield cluster; Huddersfield, the villages and London are outliers).
 */
export function buildRoadMap(tracks: readonly Track[], toleranceM = 7): RoadMap {
  const roads = tracks.map((track) =>
    simplify(track.points, toleranceM).map((p) => [round(p.lat), round(p.lng)] as [number, number]),
  )
  const middles = tracks
    .map((track) => track.points[Math.floor(track.points.length / 2)])
    .filter((p) => p !== undefined)
  const centre = { lat: median(middles.map((p) => p.lat)), lng: median(middles.map((p) => p.lng)) }
  const homeTracks = tracks.filter(
    (_, i) => middles[i] !== undefined && distanceMetres(middles[i], centre) <= HOME_RADIUS_M,
  )
  return {
    bounds: boundsOf(tracks.flatMap((track) => track.points)),
    home: boundsOf((homeTracks.length > 0 ? homeTracks : tracks).flatMap((track) => track.points)),
    roads,
  }
}

function round(degrees: number): number {
  return Math.round(degrees * 1e5) / 1e5
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

export function boundsOf(points: readonly Point[]): Bounds {
  let south = 90
  let west = 180
  let north = -90
  let east = -180
  for (const p of points) {
    south = Math.min(south, p.lat)
    north = Math.max(north, p.lat)
    west = Math.min(west, p.lng)
    east = Math.max(east, p.lng)
  }
  return [
    [round(south), round(west)],
    [round(north), round(east)],
  ]
}
