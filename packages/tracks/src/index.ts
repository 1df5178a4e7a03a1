import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Point } from '@convoy/geo'

export type { Point }

export interface Track {
  /** Display name made from the file name: `city_truck` → `City Truck`. */
  name: string
  points: Point[]
}

/** Where the shipped tracks are (MIT, see `data/LICENSE`). */
export const TRACKS_DIR = fileURLToPath(new URL('../data/', import.meta.url))

const POINT = /lat="(-?\d+(?:\.\d+)?)"\s+lon="(-?\d+(?:\.\d+)?)"/

/** `city_truck` → `City Truck`, `express_delivery1` → `Express Delivery1`. */
export function vehicleName(file: string): string {
  return file
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ')
}

/** Parses one track file: one `lat="…" lon="…"` point per line, in driving order. */
export function parseTrack(text: string): Point[] {
  const points: Point[] = []
  for (const line of text.split('\n')) {
    const match = POINT.exec(line)
    if (match) points.push({ lat: Number(match[1]), lng: Number(match[2]) })
  }
  return points
}

/** Loads every track in `dir`, sorted by vehicle name. */
export async function loadTracks(dir = TRACKS_DIR): Promise<Track[]> {
  const files = (await readdir(dir)).filter((file) => /^[a-z0-9_]+$/.test(file))
  const tracks = await Promise.all(
    files.map(async (file) => ({
      name: vehicleName(file),
      points: parseTrack(await readFile(`${dir}/${file}`, 'utf8')),
    })),
  )
  return tracks.filter((track) => track.points.length > 1).sort((a, b) => a.name.localeCompare(b.name))
}
