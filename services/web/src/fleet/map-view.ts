import L from 'leaflet'
import { TileWatch } from './tile-watch.ts'

const TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
// Credits always shown: the tiles come back when they can, and the vehicles replay the tracks even
// without the road drawing. The `attr-long` parts are left out on narrow screens (narrow.css).
const OSM_ATTRIBUTION =
  '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a><span class="attr-long"> contributors</span>'
const TRACKS_ATTRIBUTION =
  'Tracks © <span class="attr-long">2017 Richard</span><span class="attr-short">R.</span> Chesterwood<span class="attr-long"> (MIT)</span>'
/** Sheffield: where the fleet is, until the roads or the vehicles give a better view. */
const START: L.LatLngTuple = [53.38, -1.47]
/** The tracks span Sheffield, Huddersfield and London: wider than this shows nothing useful. */
export const MIN_ZOOM = 7

export interface MapView {
  map: L.Map
  /** Called with true when tiles cannot be loaded, false when they can again. */
  onTilesOffline: (listener: (offline: boolean) => void) => void
}

/**
 * The Leaflet map: OpenStreetMap tiles, with panes ordered tiles < roads < trail < vehicles, and a
 * watch on tile loading so the app can switch to its own drawing when there is no internet (and
 * stop asking for tiles then, but for a rare retry).
 */
export function createMapView(container: HTMLElement): MapView {
  const map = L.map(container, { zoomControl: false, minZoom: MIN_ZOOM, maxZoom: 19 })
  map.setView(START, 12)
  L.control.zoom({ position: 'bottomright' }).addTo(map)
  L.control.scale({ position: 'bottomleft', imperial: false }).addTo(map)
  map.attributionControl
    .setPrefix('<a class="attr-leaflet" href="https://leafletjs.com">Leaflet</a>')
    .addAttribution(OSM_ATTRIBUTION)
    .addAttribution(TRACKS_ATTRIBUTION)
  map.createPane('roads').style.zIndex = '250'
  map.createPane('vehicles').style.zIndex = '450'
  markMoving(map, container)
  hideFocusRingOnClick(container)

  const hint = offlineHint()
  const listeners: Array<(offline: boolean) => void> = []
  const tiles = L.tileLayer(TILE_URL, { maxZoom: 19 })
  const watch = new TileWatch({
    attach: () => tiles.addTo(map),
    detach: () => tiles.remove(),
    onChange(offline) {
      container.classList.toggle('map--offline', offline)
      if (offline) hint.addTo(map)
      else hint.remove()
      for (const listener of listeners) listener(offline)
    },
  })
  tiles.on('tileload', () => watch.loaded())
  tiles.on('tileerror', () => watch.failed())
  window.addEventListener('online', () => watch.retryNow())
  watch.start()

  return {
    map,
    onTilesOffline(listener) {
      listeners.push(listener)
      if (watch.offline !== null) listener(watch.offline)
    },
  }
}

/** "Offline map: roads only", in the corner while tiles are off. */
function offlineHint(): L.Control {
  const hint = new L.Control({ position: 'bottomleft' })
  hint.onAdd = () => {
    const element = L.DomUtil.create('div', 'map-offline-hint')
    element.textContent = 'Offline map: roads only'
    element.title = 'Map tiles cannot be loaded: showing the roads the vehicles drive. Retrying now and then.'
    return element
  }
  return hint
}

/** `data-moving` on the map while it pans or zooms (animations included), for tools and tests. */
function markMoving(map: L.Map, container: HTMLElement): void {
  map.on('movestart', () => (container.dataset.moving = 'true'))
  map.on('moveend', () => delete container.dataset.moving)
}

/** Keys that are not keyboard navigation: they leave a focus that came from a click unmarked. */
const NOT_NAVIGATION = new Set(['Escape', 'Shift', 'Control', 'Alt', 'Meta'])

/**
 * Leaflet focuses the map from script on every mouse down, which Chromium shows with the keyboard
 * focus ring. `map--pointer` marks focus that came from a pointer (map.css hides the ring then);
 * navigating with the keyboard (Tab, arrows, +/-) brings the ring back.
 */
function hideFocusRingOnClick(container: HTMLElement): void {
  const doc = container.ownerDocument
  container.addEventListener('pointerdown', () => container.classList.add('map--pointer'), { capture: true })
  doc.addEventListener(
    'keydown',
    (event) => {
      if (!NOT_NAVIGATION.has(event.key)) container.classList.remove('map--pointer')
    },
    { capture: true },
  )
}
