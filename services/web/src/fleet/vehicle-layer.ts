import L from 'leaflet'
import type { FleetChange } from './fleet-state.ts'
import type { Vehicle } from '../shared/types.ts'
import { vehicleMarker, type MarkerLook, type VehicleMarker } from './vehicle-marker.ts'
import { statusOf } from './vehicle-status.ts'

/**
 * All vehicles on one canvas, updated in place: a frame moves existing markers rather than
 * rebuilding anything, so thousands of vehicles stay cheap.
 */
export class VehicleLayer {
  readonly #map: L.Map
  readonly #renderer: L.Canvas
  readonly #markers = new Map<string, { marker: VehicleMarker; vehicle: Vehicle }>()
  readonly #onClick: (name: string) => void
  #selected: string | null = null
  #halo: L.CircleMarker | null = null
  /** Which vehicles are drawn (the search and the legend's statuses); the selected one always is. */
  #shown: (vehicle: Vehicle, now: number) => boolean = () => true

  constructor(map: L.Map, onClick: (name: string) => void) {
    this.#map = map
    this.#onClick = onClick
    this.#renderer = L.canvas({ pane: 'vehicles', padding: 0.3, tolerance: 4 })
  }

  get size(): number {
    return this.#markers.size
  }

  apply(change: FleetChange, now = Date.now()): void {
    for (const name of change.removed) {
      this.#markers.get(name)?.marker.remove()
      this.#markers.delete(name)
      if (name === this.#selected) this.select(null)
    }
    for (const vehicle of change.changed) this.#upsert(vehicle, now)
  }

  /** Re-evaluates moving / stopped / stale, which also change with the passing of time. */
  refresh(now = Date.now()): void {
    for (const { marker, vehicle } of this.#markers.values()) {
      marker.setLook(this.#look(vehicle, now), vehicle.heading)
      this.#place(marker, vehicle, now)
    }
  }

  /** Draws only the vehicles `shown` accepts (and the selected one). */
  filter(shown: (vehicle: Vehicle, now: number) => boolean, now = Date.now()): void {
    this.#shown = shown
    for (const { marker, vehicle } of this.#markers.values()) this.#place(marker, vehicle, now)
  }

  /** The vehicles drawn now. */
  *drawn(): Iterable<Vehicle> {
    for (const { marker, vehicle } of this.#markers.values()) if (this.#map.hasLayer(marker)) yield vehicle
  }

  select(name: string | null): void {
    const previous = this.#selected === null ? undefined : this.#markers.get(this.#selected)
    this.#selected = name
    this.#halo?.remove()
    this.#halo = null
    if (previous) {
      previous.marker.setLook(this.#look(previous.vehicle, Date.now()), previous.vehicle.heading)
      previous.marker.unbindTooltip().bindTooltip(previous.vehicle.name, tooltip(false))
      this.#place(previous.marker, previous.vehicle, Date.now())
    }
    const entry = name === null ? undefined : this.#markers.get(name)
    if (!entry) return
    this.#place(entry.marker, entry.vehicle, Date.now())
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
    entry.marker.setLook('selected', entry.vehicle.heading)
    entry.marker.unbindTooltip().bindTooltip(entry.vehicle.name, tooltip(true)).bringToFront()
  }

  /** Where a vehicle is drawn, in pixels from the map's top-left corner; null when it is not (for tests and tools). */
  pointOf(name: string): L.Point | null {
    const entry = this.#markers.get(name)
    return entry && this.#map.hasLayer(entry.marker)
      ? this.#map.latLngToContainerPoint(entry.marker.getLatLng())
      : null
  }

  #upsert(vehicle: Vehicle, now: number): void {
    const latLng = L.latLng(vehicle.lat, vehicle.lng)
    const entry = this.#markers.get(vehicle.name)
    if (entry) {
      entry.vehicle = vehicle
      entry.marker.setLatLng(latLng)
      entry.marker.setLook(this.#look(vehicle, now), vehicle.heading)
      if (vehicle.name === this.#selected) this.#halo?.setLatLng(latLng)
      return
    }
    const marker = vehicleMarker(latLng, this.#look(vehicle, now), vehicle.heading, this.#renderer)
      .bindTooltip(vehicle.name, tooltip(false))
      .on('click', () => this.#onClick(vehicle.name))
    this.#markers.set(vehicle.name, { marker, vehicle })
    this.#place(marker, vehicle, now)
  }

  #place(marker: VehicleMarker, vehicle: Vehicle, now: number): void {
    const shown = vehicle.name === this.#selected || this.#shown(vehicle, now)
    if (shown && !this.#map.hasLayer(marker)) marker.addTo(this.#map)
    else if (!shown && this.#map.hasLayer(marker)) marker.remove()
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
