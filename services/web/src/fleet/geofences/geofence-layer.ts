import L from 'leaflet'
import type { Geofence, GeofenceShape } from '../../shared/types.ts'

const STYLE: L.PathOptions = {
  color: '#7c3aed',
  weight: 2,
  opacity: 0.9,
  fillColor: '#8b5cf6',
  fillOpacity: 0.08,
}
const DRAFT: L.PathOptions = { ...STYLE, dashArray: '6 6', fillOpacity: 0.15, interactive: false }

/** Leaflet's drawing of a shape (a circle in metres, a polygon by its corners). */
function pathOf(shape: GeofenceShape, style: L.PathOptions): L.Circle | L.Polygon {
  if (shape.type === 'circle')
    return L.circle([shape.center.lat, shape.center.lng], { ...style, radius: shape.radiusMetres })
  return L.polygon(
    shape.points.map((point): L.LatLngTuple => [point.lat, point.lng]),
    style,
  )
}

/** The geofences on the map, under the vehicles, each named in a tooltip. */
export class GeofenceLayer {
  readonly #map: L.Map
  readonly #group = L.layerGroup()
  readonly #paths = new Map<string, L.Circle | L.Polygon>()

  constructor(map: L.Map) {
    this.#map = map
    this.#group.addTo(map)
  }

  show(geofences: readonly Geofence[]): void {
    this.#group.clearLayers()
    this.#paths.clear()
    for (const geofence of geofences) {
      const path = pathOf(geofence.shape, STYLE).bindTooltip(geofence.name, {
        className: 'geofence-tooltip',
        direction: 'center',
      })
      path.addTo(this.#group)
      this.#paths.set(geofence.id, path)
    }
  }

  /** Shows all of a geofence. */
  focus(id: string): void {
    const path = this.#paths.get(id)
    if (path) this.#map.flyToBounds(path.getBounds(), { padding: [48, 48], maxZoom: 17, duration: 0.6 })
  }
}

export type DrawnShape = GeofenceShape

/**
 * Drawing a geofence on the map with the pointer: a circle is its centre, then a point of its
 * edge; a polygon is its corners, finished by clicking the first again or pressing Enter
 * (Backspace takes the last corner back). Escape gives up. What is drawn shows as it grows.
 */
export class GeofenceDrawing {
  readonly #map: L.Map
  #kind: 'circle' | 'polygon' | null = null
  #points: L.LatLng[] = []
  #draft: L.Circle | L.Polyline | null = null
  #done: ((shape: DrawnShape | null) => void) | null = null

  constructor(map: L.Map) {
    this.#map = map
    map.on('click', (event: L.LeafletMouseEvent) => this.#click(event.latlng))
    map.on('mousemove', (event: L.LeafletMouseEvent) => this.#move(event.latlng))
    map.getContainer().addEventListener('keydown', (event) => {
      if (this.#kind === null) return
      if (event.key === 'Escape') this.#finish(null)
      else if (event.key === 'Enter') this.#closePolygon()
      else if (event.key === 'Backspace' && this.#kind === 'polygon') {
        this.#points.pop()
        this.#redraw(null)
      } else return
      event.preventDefault()
      event.stopPropagation()
    })
  }

  get drawing(): boolean {
    return this.#kind !== null
  }

  /** Starts drawing; `done` gets the shape, or null when the user gave up. */
  start(kind: 'circle' | 'polygon', done: (shape: DrawnShape | null) => void): void {
    this.#finish(null)
    this.#kind = kind
    this.#done = done
    this.#map.doubleClickZoom.disable()
    this.#map.getContainer().classList.add('map--drawing')
    this.#map.getContainer().focus()
  }

  cancel(): void {
    this.#finish(null)
  }

  #click(at: L.LatLng): void {
    if (this.#kind === 'circle') {
      if (this.#points.length === 0) {
        this.#points = [at]
        this.#redraw(at)
        return
      }
      const center = this.#points[0]!
      const radiusMetres = Math.max(1, Math.round(this.#map.distance(center, at)))
      this.#finish({ type: 'circle', center: { lat: center.lat, lng: center.lng }, radiusMetres })
    } else if (this.#kind === 'polygon') {
      const first = this.#points[0]
      // The first corner again (within a few pixels) closes the polygon.
      if (first && this.#points.length >= 3) {
        const distance = this.#map
          .latLngToContainerPoint(first)
          .distanceTo(this.#map.latLngToContainerPoint(at))
        if (distance < 10) return this.#closePolygon()
      }
      this.#points.push(at)
      this.#redraw(at)
    }
  }

  #move(at: L.LatLng): void {
    if (this.#kind !== null && this.#points.length > 0) this.#redraw(at)
  }

  #closePolygon(): void {
    if (this.#kind !== 'polygon' || this.#points.length < 3) return
    this.#finish({
      type: 'polygon',
      points: this.#points.map((point) => ({ lat: point.lat, lng: point.lng })),
    })
  }

  /** Draws what the user has so far, reaching to the pointer at `to`. */
  #redraw(to: L.LatLng | null): void {
    this.#draft?.remove()
    this.#draft = null
    if (this.#kind === 'circle' && this.#points[0]) {
      const radius = to ? this.#map.distance(this.#points[0], to) : 1
      this.#draft = L.circle(this.#points[0], { ...DRAFT, radius }).addTo(this.#map)
    } else if (this.#kind === 'polygon' && this.#points.length > 0) {
      this.#draft = L.polyline(to ? [...this.#points, to] : this.#points, DRAFT).addTo(this.#map)
    }
  }

  #finish(shape: DrawnShape | null): void {
    const done = this.#done
    this.#kind = null
    this.#points = []
    this.#done = null
    this.#draft?.remove()
    this.#draft = null
    this.#map.doubleClickZoom.enable()
    this.#map.getContainer().classList.remove('map--drawing')
    done?.(shape)
  }
}
