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
  #offline = false

  constructor(map: L.Map, roadMap: RoadMap) {
    const renderer = L.canvas({ pane: 'roads', padding: 0.5 })
    const common = { renderer, interactive: false, lineCap: 'round', lineJoin: 'round' } as const
    this.#casing = L.polyline(roadMap.roads, common).addTo(map)
    this.#fill = L.polyline(roadMap.roads, common).addTo(map)
    this.setOffline(false)
  }

  /** The theme changed: the roads take its colours. */
  restyle(): void {
    this.setOffline(this.#offline)
  }

  /** Styles the roads as the map itself (`offline`: no tiles), in the theme's colours. */
  setOffline(offline: boolean): void {
    this.#offline = offline
    if (offline) {
      // The theme's colours (layout.css): a canvas cannot be styled by CSS.
      const style = getComputedStyle(document.documentElement)
      this.#casing.setStyle({ color: style.getPropertyValue('--road-casing').trim(), weight: 6, opacity: 1 })
      this.#fill.setStyle({ color: style.getPropertyValue('--road-fill').trim(), weight: 3.5, opacity: 1 })
    } else {
      this.#casing.setStyle({ color: '#1e3a8a', weight: 3, opacity: 0.12 })
      this.#fill.setStyle({ color: '#1e40af', weight: 1.5, opacity: 0.22 })
    }
  }
}
