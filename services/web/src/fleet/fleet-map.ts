import L from 'leaflet'
import roadsUrl from 'virtual:convoy-roads'
import type { Api } from '../shared/api.ts'
import type { Vehicle, WebConfig } from '../shared/types.ts'
import type { FleetState } from './fleet-state.ts'
import { GeofenceDrawing, GeofenceLayer } from './geofences/geofence-layer.ts'
import { HistoryLayer } from './history/history-layer.ts'
import { InitialView } from './initial-view.ts'
import { createMapView } from './map-view.ts'
import { loadRoadMap, RoadsLayer } from './roads-layer.ts'
import { TrailLayer } from './trail-layer.ts'
import { VehicleLayer, type DrawnCluster } from './vehicle-layer.ts'

const FIT: L.FitBoundsOptions = { padding: [32, 32], maxZoom: 15 }
/** A followed vehicle is brought back to the centre once it leaves the middle of the map (a share of each side). */
const FOLLOW_MARGIN = 0.2
/** Keys that pan the map: the user takes it over from following. */
const PAN_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'])
/** How far around the tracks the map can be panned (a share of their extent on every side). */
const MAX_BOUNDS_PAD = 1

export interface FleetMapOptions {
  fleet: FleetState
  api: Pick<Api, 'history'>
  /** A vehicle was clicked on the map. */
  onClick: (name: string) => void
  /** Following the selected vehicle started or stopped (the user panned). */
  onFollowChange: (following: boolean) => void
  /** The deployment's map tiles (`GET /config.json`). */
  config: Promise<WebConfig>
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
  readonly #onFollowChange: (following: boolean) => void
  #roads: RoadsLayer | null = null
  #selected: string | null = null
  #following = false
  /** Flying to a vehicle just selected. */
  #flying = false

  readonly #setUnits: (units: 'metric' | 'imperial') => void
  /** A vehicle's replay, drawn by the history panel. */
  readonly history: HistoryLayer
  /** The geofences, and drawing one (new, or a geofence's new shape). */
  readonly geofences: GeofenceLayer
  readonly drawing: GeofenceDrawing

  constructor(container: HTMLElement, { fleet, api, onClick, onFollowChange, config }: FleetMapOptions) {
    this.#fleet = fleet
    this.#onFollowChange = onFollowChange
    const { map, onTilesOffline, setUnits } = createMapView(container, config)
    this.#setUnits = setUnits
    this.history = new HistoryLayer(map)
    this.geofences = new GeofenceLayer(map)
    this.drawing = new GeofenceDrawing(map)
    this.#map = map
    this.#vehicles = new VehicleLayer(map, onClick)
    this.#trail = new TrailLayer(map, (name, from, signal) => api.history(name, from, signal))
    this.#initialView = new InitialView((points) => map.fitBounds(points, FIT))
    // A user who touches the map before the data is in keeps the view they make.
    for (const type of ['pointerdown', 'wheel', 'keydown'])
      container.addEventListener(type, () => this.#initialView.userMoved(), { passive: true })
    fitControl(() => this.fitFleet()).addTo(map)
    // Panning takes the map over from following (zooming does not: the vehicle stays the centre).
    map.on('dragstart', () => this.follow(false))
    // A zoom around the middle moves a followed vehicle away from it: bring it back at once.
    map.on('zoomend', () => {
      if (this.#following) this.#keepInView()
    })
    container.addEventListener('keydown', (event) => {
      if (PAN_KEYS.has(event.key)) this.follow(false)
    })

    loadRoadMap(roadsUrl).then(
      (roadMap) => {
        const roads = new RoadsLayer(map, roadMap)
        this.#roads = roads
        onTilesOffline((offline) => roads.setOffline(offline))
        map.setMaxBounds(L.latLngBounds(roadMap.bounds).pad(MAX_BOUNDS_PAD))
        this.#initialView.roadsLoaded(roadMap.home)
      },
      // The vehicles choose the first view without it.
      (error: unknown) => console.warn('road drawing unavailable', error),
    )

    // The fleet known already, in one change: the layer lays out the map once for it.
    this.#vehicles.apply({ changed: [...fleet.names()].map((name) => fleet.get(name)!), removed: [] })
    this.#unsubscribe = fleet.subscribe((change) => {
      this.#vehicles.apply(change)
      this.#trail.extend(change.changed)
      if (this.#following && change.changed.some((vehicle) => vehicle.name === this.#selected))
        this.#keepInView()
    })
  }

  /** The first full snapshot: the first view, if the road drawing cannot be had. */
  snapshotLoaded(vehicles: readonly Vehicle[]): void {
    this.#initialView.snapshotLoaded(vehicles)
  }

  /** Marks the selected vehicle, shows its trail, flies to it and follows it (null: none). */
  select(name: string | null): void {
    this.#selected = name
    this.#vehicles.select(name)
    if (name === null) {
      this.#trail.clear()
      this.follow(false)
      return
    }
    void this.#trail.show(name)
    const vehicle = this.#fleet.get(name)
    if (vehicle) {
      // Following waits for the flight to end: a pan now would cut it short.
      this.#flying = true
      this.#map.once('moveend', () => (this.#flying = false))
      this.#map.flyTo([vehicle.lat, vehicle.lng], Math.max(this.#map.getZoom(), 15), { duration: 0.8 })
    }
    this.#initialView.userMoved()
    this.follow(true)
  }

  /** Keeps the selected vehicle in view as it drives (true), or leaves the map where it is. */
  follow(following: boolean): void {
    const now = following && this.#selected !== null
    if (now === this.#following) return
    this.#following = now
    if (now) this.#keepInView(true)
    this.#onFollowChange(now)
  }

  /** Shows every vehicle drawn, by itself or in a cluster (those the search and the legend leave). */
  fitFleet(): void {
    const points = [...this.#vehicles.drawn()].map((vehicle): L.LatLngTuple => [vehicle.lat, vehicle.lng])
    this.#initialView.userMoved()
    this.follow(false)
    if (points.length > 0) this.#map.flyToBounds(points, { ...FIT, duration: 0.8 })
  }

  /** Draws only the vehicles `shown` accepts (the selected one always). */
  filter(shown: (vehicle: Vehicle, now: number) => boolean, now: number): void {
    this.#vehicles.filter(shown, now)
  }

  /** Pans to the followed vehicle once it nears the map's edge (or at once, when `centre`). */
  #keepInView(centre = false): void {
    if (this.#flying) return
    const vehicle = this.#selected === null ? undefined : this.#fleet.get(this.#selected)
    if (!vehicle) return
    const point = this.#map.latLngToContainerPoint([vehicle.lat, vehicle.lng])
    const size = this.#map.getSize()
    const [mx, my] = [size.x * FOLLOW_MARGIN, size.y * FOLLOW_MARGIN]
    const inside = point.x >= mx && point.x <= size.x - mx && point.y >= my && point.y <= size.y - my
    if (centre || !inside) this.#map.panTo([vehicle.lat, vehicle.lng], { animate: true, duration: 0.5 })
  }

  /** The theme changed: what the canvas draws takes its colours. */
  restyle(): void {
    this.#roads?.restyle()
  }

  /** The scale in kilometres or miles. */
  setUnits(units: 'metric' | 'imperial'): void {
    this.#setUnits(units)
  }

  /** Re-evaluates moving / stopped / stale, which also change with the passing of time. */
  refresh(now: number): void {
    this.#vehicles.refresh(now)
  }

  /** For tests and tools: where a vehicle is drawn by itself, in pixels from the map's corner (null in a cluster). */
  pointOf(name: string): L.Point | null {
    return this.#vehicles.pointOf(name)
  }

  /** For tests and tools: the clusters drawn, in pixels from the map's corner, with their counts. */
  clusters(): DrawnCluster[] {
    return this.#vehicles.clusters()
  }

  /** For tests and tools: where a place is on the map, in pixels from its corner. */
  pointAt(lat: number, lng: number): L.Point {
    return this.#map.latLngToContainerPoint([lat, lng])
  }

  /** Shows a place (an event): flies there and rings it for a moment. */
  showPlace(lat: number, lng: number): void {
    this.follow(false)
    this.#initialView.userMoved()
    this.#map.flyTo([lat, lng], Math.max(this.#map.getZoom(), 15), { duration: 0.6 })
    const ring = L.circleMarker([lat, lng], {
      radius: 18,
      color: '#7c3aed',
      weight: 3,
      fill: false,
      interactive: false,
      className: 'place-ring',
    }).addTo(this.#map)
    setTimeout(() => ring.remove(), 4000)
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

/** "Fit the fleet": a button above the zoom buttons that shows every vehicle drawn. */
function fitControl(fit: () => void): L.Control {
  const control = new L.Control({ position: 'bottomright' })
  control.onAdd = () => {
    const bar = L.DomUtil.create('div', 'leaflet-bar map-fit')
    const button = L.DomUtil.create('a', 'map-fit-button', bar)
    button.href = '#'
    button.setAttribute('role', 'button')
    button.setAttribute('aria-label', 'Fit the fleet')
    button.title = 'Show every vehicle'
    // A static drawing: four corners, pointing out.
    button.innerHTML =
      '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2.5 6V2.5H6M10 2.5h3.5V6M13.5 10v3.5H10M6 13.5H2.5V10"/></svg>'
    L.DomEvent.disableClickPropagation(bar)
    L.DomEvent.on(button, 'click', (event) => {
      L.DomEvent.preventDefault(event)
      fit()
    })
    return bar
  }
  return control
}
