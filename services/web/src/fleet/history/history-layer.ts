import L from 'leaflet'
import type { Position, Stop } from '../../shared/types.ts'
import { SPEED_BANDS, speedRuns } from './replay.ts'

/** Room left around a fitted route, in pixels, and the closest a fit zooms in. */
const MARGIN = 48
const MAX_FIT_ZOOM = 16

/**
 * A replay on the map: the route in runs coloured by speed (over a white casing, so it reads on
 * tiles and on the roads drawing alike), the stops as rings, and the cursor — where the vehicle
 * was at the replay's time.
 */
export class HistoryLayer {
  readonly #map: L.Map
  readonly #group: L.LayerGroup
  readonly #cursor: L.CircleMarker
  /** What every path of the replay shares: one canvas, round joins, no pointer. */
  readonly #common: L.PathOptions

  constructor(map: L.Map) {
    this.#map = map
    this.#common = {
      renderer: L.canvas({ pane: 'overlayPane', padding: 0.3 }),
      interactive: false,
      lineCap: 'round',
      lineJoin: 'round',
    }
    this.#group = L.layerGroup().addTo(map)
    this.#cursor = L.circleMarker([0, 0], {
      ...this.#common,
      radius: 8,
      color: '#ffffff',
      weight: 3,
      fillColor: '#0f172a',
      fillOpacity: 1,
      className: 'replay-cursor',
    })
  }

  /**
   * Draws a route, and shows all of it above the `coveredBelow` pixels at the foot of the map
   * (the history's card); its stops come with {@link showStops}.
   */
  show(positions: readonly Position[], coveredBelow = 0): void {
    this.clear()
    const common = this.#common
    const all = positions.map((position): L.LatLngTuple => [position.lat, position.lng])
    L.polyline(all, { ...common, color: '#ffffff', weight: 8, opacity: 0.9 }).addTo(this.#group)
    for (const run of speedRuns(positions))
      L.polyline(run.points, { ...common, color: SPEED_BANDS[run.band]!.colour, weight: 4.5 }).addTo(
        this.#group,
      )
    this.#cursor.addTo(this.#group)
    if (all.length > 0)
      this.#map.fitBounds(all, {
        maxZoom: MAX_FIT_ZOOM,
        paddingTopLeft: [MARGIN, MARGIN],
        paddingBottomRight: [MARGIN, MARGIN + Math.max(0, coveredBelow)],
      })
  }

  /** Draws the route's stops, as rings under the cursor. */
  showStops(stops: readonly Stop[]): void {
    for (const stop of stops)
      L.circleMarker([stop.lat, stop.lng], {
        ...this.#common,
        radius: 7,
        color: '#0f172a',
        weight: 2,
        fillColor: '#fde68a',
        fillOpacity: 1,
      }).addTo(this.#group)
    this.#cursor.bringToFront()
  }

  /** Moves the cursor (and keeps it in view). */
  moveCursor(lat: number, lng: number): void {
    this.#cursor.setLatLng([lat, lng])
    if (!this.#map.getBounds().pad(-0.1).contains([lat, lng])) this.#map.panTo([lat, lng], { animate: false })
  }

  /** Shows a place of the replay (a stop, a trip's start). */
  focus(lat: number, lng: number): void {
    this.#map.flyTo([lat, lng], Math.max(this.#map.getZoom(), 15), { duration: 0.6 })
  }

  /** Where the cursor is (for tests and tools); null without a replay. */
  cursorAt(): { lat: number; lng: number } | null {
    if (!this.#group.hasLayer(this.#cursor)) return null
    const { lat, lng } = this.#cursor.getLatLng()
    return { lat, lng }
  }

  clear(): void {
    this.#group.clearLayers()
  }
}
