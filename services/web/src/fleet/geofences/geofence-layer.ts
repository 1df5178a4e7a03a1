import L from 'leaflet'
import type { Geofence, GeofenceShape } from '../../shared/types.ts'
import { mayFinishPolygon, nextStep, type DrawingKind } from './drawing-steps.ts'

const STYLE: L.PathOptions = {
  color: '#7c3aed',
  weight: 2,
  opacity: 0.9,
  fillColor: '#8b5cf6',
  fillOpacity: 0.08,
}
const DRAFT: L.PathOptions = { ...STYLE, dashArray: '6 6', fillOpacity: 0.15, interactive: false }
/** The geofence being edited: its present shape, in amber, under what is drawn for it. */
const EDITING: L.PathOptions = {
  ...STYLE,
  color: '#d97706',
  weight: 3,
  fillColor: '#f59e0b',
  fillOpacity: 0.12,
  className: 'geofence-path--editing',
}
/** A shape drawn but not saved yet. */
const PREVIEW: L.PathOptions = { ...DRAFT, className: 'geofence-preview' }

/** Leaflet's drawing of a shape (a circle in metres, a polygon by its corners). */
function pathOf(shape: GeofenceShape, style: L.PathOptions): L.Circle | L.Polygon {
  if (shape.type === 'circle')
    return L.circle([shape.center.lat, shape.center.lng], { ...style, radius: shape.radiusMetres })
  return L.polygon(
    shape.points.map((point): L.LatLngTuple => [point.lat, point.lng]),
    style,
  )
}

/**
 * The geofences on the map, under the vehicles, each named in a tooltip; the one being edited
 * marked as such, and a shape drawn but not saved yet.
 */
export class GeofenceLayer {
  readonly #map: L.Map
  readonly #group = L.layerGroup()
  readonly #paths = new Map<string, L.Circle | L.Polygon>()
  #shown: readonly Geofence[] = []
  #editing: string | null = null
  #preview: L.Circle | L.Polygon | null = null

  constructor(map: L.Map) {
    this.#map = map
    this.#group.addTo(map)
  }

  show(geofences: readonly Geofence[]): void {
    this.#shown = geofences
    this.#group.clearLayers()
    this.#paths.clear()
    for (const geofence of geofences) {
      const editing = geofence.id === this.#editing
      const path = pathOf(geofence.shape, editing ? EDITING : STYLE).bindTooltip(
        editing ? `${geofence.name} (being edited)` : geofence.name,
        { className: 'geofence-tooltip', direction: 'center' },
      )
      path.addTo(this.#group)
      this.#paths.set(geofence.id, path)
    }
  }

  /** Marks geofence `id` as the one being edited (null: none). */
  markEditing(id: string | null): void {
    if (id === this.#editing) return
    this.#editing = id
    this.show(this.#shown)
  }

  /** Shows a shape drawn but not saved yet, dashed (null: none). */
  preview(shape: GeofenceShape | null): void {
    this.#preview?.remove()
    this.#preview = shape && pathOf(shape, PREVIEW).addTo(this.#map)
  }

  /** Shows all of a geofence. */
  focus(id: string): void {
    const path = this.#paths.get(id)
    if (path) this.#map.flyToBounds(path.getBounds(), { padding: [48, 48], maxZoom: 17, duration: 0.6 })
  }
}

export type DrawnShape = GeofenceShape

/** Keys that pan the map (Leaflet's keyboard handler): what is drawn reaches to the crosshair again. */
const PAN_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'])

/**
 * Drawing a geofence on the map: a circle is its centre, then a point of its edge; a polygon is its
 * corners, finished by clicking the first again or pressing Enter (Backspace takes the last corner
 * back). Escape gives up. Each point is a click, or — without a pointer — the map's centre, marked
 * by a crosshair while drawing: the user pans with the arrow keys (Leaflet's keyboard handler) and
 * presses Space on the map, or the panel's button (`addCentre`). What is drawn shows as it grows,
 * reaching to the pointer or, after a key, to the crosshair.
 */
export class GeofenceDrawing {
  readonly #map: L.Map
  readonly #crosshair: HTMLElement
  #kind: DrawingKind | null = null
  #points: L.LatLng[] = []
  #draft: L.Circle | L.Polyline | null = null
  #done: ((shape: DrawnShape | null) => void) | null = null
  #progress: ((placed: number) => void) | null = null
  /** What the draft reaches to: the pointer's last place, or the map's centre after a key. */
  #reach: 'pointer' | 'centre' = 'pointer'
  #pointer: L.LatLng | null = null

  constructor(map: L.Map) {
    this.#map = map
    const container = map.getContainer()
    // Leaflet's panes are the container's children; the crosshair sits above them, at its centre.
    this.#crosshair = L.DomUtil.create('div', 'map-crosshair', container)
    this.#crosshair.setAttribute('aria-hidden', 'true')
    this.#crosshair.hidden = true
    map.on('click', (event: L.LeafletMouseEvent) => this.#add(event.latlng))
    map.on('mousemove', (event: L.LeafletMouseEvent) => {
      if (this.#kind === null) return
      this.#reach = 'pointer'
      this.#pointer = event.latlng
      this.#redraw()
    })
    map.on('move', () => {
      if (this.#kind !== null && this.#reach === 'centre') this.#redraw()
    })
    container.addEventListener('keydown', (event) => {
      if (this.#kind === null || event.altKey || event.ctrlKey || event.metaKey) return
      // Space and Enter only on the map itself: on its zoom buttons they press the button.
      const onMap = event.target === container
      if (event.key === 'Escape') this.#finish(null)
      else if (event.key === 'Enter' && onMap) this.finishPolygon()
      else if (event.key === ' ' && onMap) this.addCentre()
      else if (event.key === 'Backspace' && this.#kind === 'polygon') {
        this.#points.pop()
        this.#redraw()
        this.#progress?.(this.#points.length)
      } else {
        // Leaflet pans the map: the draft follows the crosshair.
        if (PAN_KEYS.has(event.key)) this.#reach = 'centre'
        return
      }
      event.preventDefault()
      event.stopPropagation()
    })
  }

  get drawing(): boolean {
    return this.#kind !== null
  }

  /**
   * Starts drawing (giving up any drawing before); `done` gets the shape, or null when the user
   * gave up; `progress` how many points are placed, at each change.
   */
  start(
    kind: DrawingKind,
    done: (shape: DrawnShape | null) => void,
    progress?: (placed: number) => void,
  ): void {
    this.#finish(null)
    this.#kind = kind
    this.#done = done
    this.#progress = progress ?? null
    this.#reach = 'pointer'
    this.#pointer = null
    this.#map.doubleClickZoom.disable()
    this.#map.getContainer().classList.add('map--drawing')
    this.#crosshair.hidden = false
    // The keys (arrows, Space, Enter, Escape) work at once.
    this.#map.getContainer().focus()
  }

  cancel(): void {
    this.#finish(null)
  }

  /**
   * Places a point at the map's centre, under the crosshair, as a click there would. The map takes
   * the focus back, so the arrow keys move it again towards the next point.
   */
  addCentre(): void {
    if (this.#kind === null) return
    this.#reach = 'centre'
    this.#add(this.#map.getCenter())
    if (this.#kind !== null) this.#map.getContainer().focus()
  }

  /** Finishes a polygon of 3 corners or more (else does nothing). */
  finishPolygon(): void {
    if (this.#kind !== 'polygon' || !mayFinishPolygon(this.#points.length)) return
    this.#finish({
      type: 'polygon',
      points: this.#points.map((point) => ({ lat: point.lat, lng: point.lng })),
    })
  }

  /** A point, clicked or at the crosshair: added, finishing the shape, or ignored (see `nextStep`). */
  #add(at: L.LatLng): void {
    if (this.#kind === null) return
    const pixel = (point: L.LatLng) => this.#map.latLngToContainerPoint(point)
    const step = nextStep(this.#kind, this.#points.map(pixel), pixel(at))
    if (step === 'ignore') return
    if (step === 'add') {
      this.#points.push(at)
      this.#redraw()
      this.#progress?.(this.#points.length)
    } else if (this.#kind === 'polygon') {
      this.finishPolygon()
    } else {
      const center = this.#points[0]!
      const radiusMetres = Math.max(1, Math.round(this.#map.distance(center, at)))
      this.#finish({ type: 'circle', center: { lat: center.lat, lng: center.lng }, radiusMetres })
    }
  }

  /** Draws what the user has so far, reaching to the pointer or to the crosshair. */
  #redraw(): void {
    this.#draft?.remove()
    this.#draft = null
    if (this.#kind === null || this.#points.length === 0) return
    const to = this.#reach === 'centre' ? this.#map.getCenter() : this.#pointer
    if (this.#kind === 'circle') {
      const radius = to ? this.#map.distance(this.#points[0]!, to) : 1
      this.#draft = L.circle(this.#points[0]!, { ...DRAFT, radius }).addTo(this.#map)
    } else {
      this.#draft = L.polyline(to ? [...this.#points, to] : this.#points, DRAFT).addTo(this.#map)
    }
  }

  #finish(shape: DrawnShape | null): void {
    const done = this.#done
    this.#kind = null
    this.#points = []
    this.#done = null
    this.#progress = null
    this.#draft?.remove()
    this.#draft = null
    this.#map.doubleClickZoom.enable()
    this.#map.getContainer().classList.remove('map--drawing')
    this.#crosshair.hidden = true
    done?.(shape)
  }
}
