import L from 'leaflet'
import type { RoadMap } from '../shared/types.ts'

export async function loadRoadMap(url: string): Promise<RoadMap> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return (await response.json()) as RoadMap
}

/**
 * The roads the vehicles drive, drawn from the recorded tracks: faint over map tiles, and as the
 * map itself (light casing and white fill, like a street map) when tiles cannot be loaded.
 */
export class RoadsLayer {
  readonly #casing: L.Polyline
  readonly #fill: L.Polyline

  constructor(map: L.Map, roadMap: RoadMap) {
    const renderer = L.canvas({ pane: 'roads', padding: 0.5 })
    const common = { renderer, interactive: false, lineCap: 'round', lineJoin: 'round' } as const
    this.#casing = L.polyline(roadMap.roads, common).addTo(map)
    this.#fill = L.polyline(roadMap.roads, common).addTo(map)
    this.setOffline(false)
  }

  setOffline(offline: boolean): void {
    if (offline) {
      this.#casing.setStyle({ color: '#c3ccd8', weight: 6, opacity: 1 })
      this.#fill.setStyle({ color: '#ffffff', weight: 3.5, opacity: 1 })
    } else {
      this.#casing.setStyle({ color: '#1e3a8a', weight: 3, opacity: 0.12 })
      this.#fill.setStyle({ color: '#1e40af', weight: 1.5, opacity: 0.22 })
    }
  }
}
