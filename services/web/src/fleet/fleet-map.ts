import L from 'leaflet'
import roadsUrl from 'virtual:convoy-roads'
import type { Api } from '../shared/api.ts'
import type { Vehicle } from '../shared/types.ts'
import type { FleetState } from './fleet-state.ts'
import { InitialView } from './initial-view.ts'
import { createMapView } from './map-view.ts'
import { loadRoadMap, RoadsLayer } from './roads-layer.ts'
import { TrailLayer } from './trail-layer.ts'
import { VehicleLayer } from './vehicle-layer.ts'

const FIT: L.FitBoundsOptions = { padding: [32, 32], maxZoom: 15 }
/** How far around the tracks the map can be panned (a share of their extent on every side). */
const MAX_BOUNDS_PAD = 1

export interface FleetMapOptions {
  fleet: FleetState
  api: Pick<Api, 'history'>
  /** A vehicle was clicked on the map. */
  onClick: (name: string) => void
}

/**
 * The Leaflet map of the fleet, which moves at every live frame: the vehicles on one canvas, the
 * selected vehicle's trail, the road drawing, and the first view (the area of the tracks, or the
 * first snapshot's vehicles without the drawing). Leaflet owns this part of the page; the fleet
 * page drives it.
 */
export class FleetMap {
  readonly #map: L.Map
  readonly #vehicles: VehicleLayer
  readonly #trail: TrailLayer
  readonly #initialView: InitialView
  readonly #fleet: FleetState
  readonly #unsubscribe: () => void

  constructor(container: HTMLElement, { fleet, api, onClick }: FleetMapOptions) {
    this.#fleet = fleet
    const { map, onTilesOffline } = createMapView(container)
    this.#map = map
    this.#vehicles = new VehicleLayer(map, onClick)
    this.#trail = new TrailLayer(map, (name, from, signal) => api.history(name, from, signal))
    this.#initialView = new InitialView((points) => map.fitBounds(points, FIT))
    // A user who touches the map before the data is in keeps the view they make.
    for (const type of ['pointerdown', 'wheel', 'keydown'])
      container.addEventListener(type, () => this.#initialView.userMoved(), { passive: true })

    loadRoadMap(roadsUrl).then(
      (roadMap) => {
        const roads = new RoadsLayer(map, roadMap)
        onTilesOffline((offline) => roads.setOffline(offline))
        map.setMaxBounds(L.latLngBounds(roadMap.bounds).pad(MAX_BOUNDS_PAD))
        this.#initialView.roadsLoaded(roadMap.home)
      },
      (error: unknown) => {
        console.warn('road drawing unavailable', error)
        this.#initialView.roadsFailed()
      },
    )

    for (const name of fleet.names()) {
      const vehicle = fleet.get(name)
      if (vehicle) this.#vehicles.apply({ changed: [vehicle], removed: [] })
    }
    this.#unsubscribe = fleet.subscribe((change) => {
      this.#vehicles.apply(change)
      this.#trail.extend(change.changed)
    })
  }

  /** The first full snapshot: the first view, if the road drawing cannot be had. */
  snapshotLoaded(vehicles: readonly Vehicle[]): void {
    this.#initialView.snapshotLoaded(vehicles)
  }

  /** Marks the selected vehicle, shows its trail and flies to it (null: none). */
  select(name: string | null): void {
    this.#vehicles.select(name)
    if (name === null) {
      this.#trail.clear()
      return
    }
    void this.#trail.show(name)
    const vehicle = this.#fleet.get(name)
    if (vehicle)
      this.#map.flyTo([vehicle.lat, vehicle.lng], Math.max(this.#map.getZoom(), 15), { duration: 0.8 })
    this.#initialView.userMoved()
  }

  /** Re-evaluates moving / stopped / stale, which also change with the passing of time. */
  refresh(now: number): void {
    this.#vehicles.refresh(now)
  }

  /** For tests and tools: where a vehicle is drawn, in pixels from the map's corner. */
  pointOf(name: string): L.Point | null {
    return this.#vehicles.pointOf(name)
  }

  /** For tests and tools: what the map shows. */
  view(): { south: number; west: number; north: number; east: number; zoom: number } {
    const bounds = this.#map.getBounds()
    return {
      south: bounds.getSouth(),
      west: bounds.getWest(),
      north: bounds.getNorth(),
      east: bounds.getEast(),
      zoom: this.#map.getZoom(),
    }
  }

  dispose(): void {
    this.#unsubscribe()
    this.#trail.clear()
    this.#map.remove()
  }
}
