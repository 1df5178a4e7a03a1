import L from 'leaflet'
import type { FleetChange } from './fleet-state.ts'
import type { Vehicle } from '../shared/types.ts'
import { CLUSTER_ABOVE, VehicleClusters, type Cluster } from './vehicle-clusters.ts'
import {
  ClusterMarker,
  clusterTitle,
  vehicleMarker,
  type MarkerLook,
  type VehicleMarker,
} from './vehicle-marker.ts'
import { statusOf } from './vehicle-status.ts'

/** While vehicles move, their clusters are built again at most this often. */
const CLUSTER_MS = 1000
/** Beyond the view, the share of its size on each side that is drawn too (the canvas's own margin). */
const PADDING = 0.3

interface Entry {
  marker: VehicleMarker
  vehicle: Vehicle
}

/** A cluster drawn on the map, in pixels from the map's top-left corner (for tests and tools). */
export interface DrawnCluster {
  x: number
  y: number
  count: number
}

/**
 * All vehicles on one canvas, updated in place: a frame moves the markers drawn rather than
 * rebuilding anything, and the canvas redraws what moved once per animation frame (Leaflet's
 * canvas renderer gathers the requests of a frame into one redraw).
 *
 * Up to `CLUSTER_ABOVE` vehicles shown, every one is drawn. Above, nearby vehicles are drawn as
 * clusters with their count down to zoom `CLUSTER_MAX_ZOOM` (a click zooms into one), and only the
 * vehicles in and around the view are markers on the canvas. The clusters are built again at most
 * every `CLUSTER_MS` as vehicles move (at the page's status refresh), and at once when the search,
 * the legend, the selection or the fleet's members change; a pan or a zoom asks the last build for
 * the new view. The selected vehicle is always drawn by itself.
 */
export class VehicleLayer {
  readonly #map: L.Map
  readonly #renderer: L.Canvas
  readonly #entries = new Map<string, Entry>()
  readonly #onClick: (name: string) => void
  readonly #clusters: VehicleClusters
  #clusterMarkers: ClusterMarker[] = []
  /** When the clusters were last built, and whether vehicles moved since. */
  #clusteredAt = -Infinity
  #moved = false
  #selected: string | null = null
  #halo: L.CircleMarker | null = null
  /** Which vehicles are drawn (the search and the legend's statuses); the selected one always is. */
  #shown: (vehicle: Vehicle, now: number) => boolean = () => true

  constructor(map: L.Map, onClick: (name: string) => void) {
    this.#map = map
    this.#onClick = onClick
    this.#clusters = new VehicleClusters(map.getMinZoom())
    this.#renderer = L.canvas({ pane: 'vehicles', padding: PADDING, tolerance: 4 })
    // After every pan and zoom (Leaflet ends a zoom with a moveend too).
    map.on('moveend', () => this.#layout(Date.now()))
  }

  get size(): number {
    return this.#entries.size
  }

  apply(change: FleetChange, now = Date.now()): void {
    let membersChanged = change.removed.length > 0
    for (const name of change.removed) {
      this.#entries.get(name)?.marker.remove()
      this.#entries.delete(name)
      if (name === this.#selected) this.select(null)
    }
    for (const vehicle of change.changed) {
      const entry = this.#entries.get(vehicle.name)
      if (!entry) {
        this.#add(vehicle, now)
        membersChanged = true
        continue
      }
      entry.vehicle = vehicle
      // A vehicle in a cluster moves with the next clusters.
      if (entry.marker.isDrawn()) this.#draw(entry, now)
    }
    this.#moved ||= change.changed.length > 0
    if (membersChanged) this.#layout(now, true)
  }

  /** Re-evaluates moving / stopped / stale, which also change with the passing of time. */
  refresh(now = Date.now()): void {
    this.#layout(now)
  }

  /** Draws only the vehicles `shown` accepts (and the selected one). */
  filter(shown: (vehicle: Vehicle, now: number) => boolean, now = Date.now()): void {
    this.#shown = shown
    this.#layout(now, true)
  }

  /** The vehicles shown now, by themselves or in a cluster. */
  *drawn(now = Date.now()): Iterable<Vehicle> {
    for (const { vehicle } of this.#entries.values()) if (this.#isShown(vehicle, now)) yield vehicle
  }

  select(name: string | null): void {
    const previous = this.#selected === null ? undefined : this.#entries.get(this.#selected)
    this.#selected = name
    this.#halo?.remove()
    this.#halo = null
    previous?.marker.unbindTooltip().bindTooltip(previous.vehicle.name, tooltip(false))
    // The selected vehicle leaves the clusters, the one before joins them again.
    this.#layout(Date.now(), true)
    const entry = name === null ? undefined : this.#entries.get(name)
    if (!entry) return
    this.#halo = L.circleMarker(entry.marker.getLatLng(), {
      renderer: this.#renderer,
      radius: 20,
      stroke: true,
      color: '#ea580c',
      weight: 1,
      opacity: 0.45,
      fillColor: '#fb923c',
      fillOpacity: 0.22,
      interactive: false,
    }).addTo(this.#map)
    entry.marker.unbindTooltip().bindTooltip(entry.vehicle.name, tooltip(true)).bringToFront()
  }

  /**
   * Where a vehicle is drawn by itself, in pixels from the map's top-left corner; null when it is
   * not: hidden by the search or the legend, in a cluster, or (clustered) far outside the view.
   * For tests and tools.
   */
  pointOf(name: string): L.Point | null {
    const entry = this.#entries.get(name)
    return entry?.marker.isDrawn() ? this.#map.latLngToContainerPoint(entry.marker.getLatLng()) : null
  }

  /** The clusters drawn, with their counts (none while every vehicle is drawn by itself). For tests and tools. */
  clusters(): DrawnCluster[] {
    return this.#clusterMarkers.map((marker) => {
      const { x, y } = this.#map.latLngToContainerPoint(marker.getLatLng())
      return { x, y, count: marker.count }
    })
  }

  #add(vehicle: Vehicle, now: number): void {
    const marker = vehicleMarker(
      [vehicle.lat, vehicle.lng],
      this.#look(vehicle, now),
      vehicle.heading,
      this.#renderer,
    )
      .bindTooltip(vehicle.name, tooltip(false))
      .on('click', () => this.#onClick(vehicle.name))
    this.#entries.set(vehicle.name, { marker, vehicle })
  }

  /**
   * Decides what is drawn: every vehicle shown, or — above `CLUSTER_ABOVE` — the clusters and the
   * lone vehicles in and around the view. `rebuild` builds the clusters again at once; otherwise
   * they are built again only if vehicles moved and `CLUSTER_MS` has passed.
   */
  #layout(now: number, rebuild = false): void {
    const clustered: Entry[] = []
    for (const entry of this.#entries.values())
      if (entry.vehicle.name !== this.#selected && this.#shown(entry.vehicle, now)) clustered.push(entry)
    let alone: Set<string> | null = null
    let clusters: Cluster[] = []
    if (clustered.length > CLUSTER_ABOVE) {
      if (rebuild || (this.#moved && now - this.#clusteredAt >= CLUSTER_MS)) {
        this.#clusters.load(clustered.map(({ vehicle }) => vehicle))
        this.#clusteredAt = now
        this.#moved = false
      }
      const bounds = this.#map.getBounds().pad(PADDING)
      const view = this.#clusters.at(
        [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()],
        this.#map.getZoom(),
      )
      alone = new Set(view.alone)
      clusters = view.clusters
    }
    this.#drawClusters(clusters)
    for (const entry of this.#entries.values()) {
      const { vehicle, marker } = entry
      const drawn =
        vehicle.name === this.#selected ||
        ((alone === null || alone.has(vehicle.name)) && this.#shown(vehicle, now))
      if (drawn) this.#draw(entry, now)
      else if (marker.isDrawn()) marker.remove()
    }
  }

  /** Puts a vehicle's marker where it is, as it is (its status, its heading), on the map. */
  #draw({ marker, vehicle }: Entry, now: number): void {
    const latLng = L.latLng(vehicle.lat, vehicle.lng)
    marker.setLook(this.#look(vehicle, now), vehicle.heading)
    if (!marker.getLatLng().equals(latLng, 0)) marker.setLatLng(latLng)
    if (!marker.isDrawn()) marker.addTo(this.#map)
    if (vehicle.name === this.#selected) this.#halo?.setLatLng(latLng)
  }

  /** Shows `clusters`, reusing the cluster markers already on the map. */
  #drawClusters(clusters: Cluster[]): void {
    clusters.forEach((cluster, i) => {
      const marker = this.#clusterMarkers[i]
      if (marker) marker.show(cluster)
      else this.#clusterMarkers.push(this.#clusterMarker(cluster))
    })
    for (const marker of this.#clusterMarkers.splice(clusters.length)) marker.remove()
  }

  #clusterMarker(cluster: Cluster): ClusterMarker {
    const marker = new ClusterMarker(cluster, this.#renderer)
    return marker
      .bindTooltip(clusterTitle(cluster.count), tooltip(false))
      .on('click', () => {
        // Into the zoom where it falls apart (from the index it was drawn from).
        const { lat, lng, expansionZoom } = marker.cluster
        this.#map.flyTo([lat, lng], Math.min(expansionZoom(), this.#map.getMaxZoom()), { duration: 0.5 })
      })
      .addTo(this.#map)
  }

  #isShown(vehicle: Vehicle, now: number): boolean {
    return vehicle.name === this.#selected || this.#shown(vehicle, now)
  }

  #look(vehicle: Vehicle, now: number): MarkerLook {
    return vehicle.name === this.#selected ? 'selected' : statusOf(vehicle, now)
  }
}

function tooltip(permanent: boolean): L.TooltipOptions {
  return {
    permanent,
    direction: 'top',
    offset: [0, permanent ? -14 : -10],
    className: 'vehicle-tooltip',
    opacity: 1,
  }
}
