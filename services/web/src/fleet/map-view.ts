import L from 'leaflet'
import type { WebConfig } from '../shared/types.ts'
import { TileWatch } from './tile-watch.ts'

// The tracks' credit is always shown: the vehicles replay them even without the road drawing. The
// `attr-long` parts are left out on narrow screens (narrow.css).
const TRACKS_ATTRIBUTION =
  'Tracks © <span class="attr-long">2017 Richard</span><span class="attr-short">R.</span> Chesterwood<span class="attr-long"> (MIT)</span>'
/** Sheffield: where the fleet is, until the roads or the vehicles give a better view. */
const START: L.LatLngTuple = [53.38, -1.47]
/** The tracks span Sheffield, Huddersfield and London: wider than this shows nothing useful. */
export const MIN_ZOOM = 7

export interface MapView {
  map: L.Map
  /** Called with true when tiles cannot be loaded (or there are none), false when they can again. */
  onTilesOffline: (listener: (offline: boolean) => void) => void
  /** Shows the scale in kilometres or in miles. */
  setUnits: (units: 'metric' | 'imperial') => void
}

/**
 * The Leaflet map: the deployment's tiles (`TILE_URL`, OpenStreetMap's by default), with panes
 * ordered tiles < roads < trail < vehicles, and a watch on tile loading so the app can switch to its
 * own drawing when there is no internet (and stop asking for tiles then, but for a rare retry) —
 * or at once, when the deployment has no tiles.
 */
export function createMapView(container: HTMLElement, config: Promise<WebConfig>): MapView {
  const map = L.map(container, { zoomControl: false, minZoom: MIN_ZOOM, maxZoom: 19 })
  map.setView(START, 12)
  L.control.zoom({ position: 'bottomright' }).addTo(map)
  let scale = L.control.scale({ position: 'bottomleft', imperial: false, metric: true }).addTo(map)
  map.attributionControl
    .setPrefix('<a class="attr-leaflet" href="https://leafletjs.com">Leaflet</a>')
    .addAttribution(TRACKS_ATTRIBUTION)
  map.createPane('roads').style.zIndex = '250'
  map.createPane('vehicles').style.zIndex = '450'
  markMoving(map, container)
  hideFocusRingOnClick(container)

  const hint = offlineHint()
  const listeners: Array<(offline: boolean) => void> = []
  let offline: boolean | null = null
  const setOffline = (now: boolean) => {
    offline = now
    container.classList.toggle('map--offline', now)
    for (const listener of listeners) listener(now)
  }
  void config.then(({ tileUrl, tileAttribution }) => {
    // The tiles' credit stays while they are off: they come back when they can.
    if (tileAttribution) map.attributionControl.addAttribution(tileAttribution)
    if (tileUrl === null) setOffline(true)
    else watchTiles(L.tileLayer(tileUrl, { maxZoom: 19 }))
  })

  /** Tiles while they load; the roads, with a hint in the corner, while they cannot. */
  function watchTiles(tiles: L.TileLayer): void {
    const watch = new TileWatch({
      attach: () => tiles.addTo(map),
      detach: () => tiles.remove(),
      onChange(now) {
        if (now) hint.addTo(map)
        else hint.remove()
        setOffline(now)
      },
    })
    tiles.on('tileload', () => watch.loaded())
    tiles.on('tileerror', () => watch.failed())
    window.addEventListener('online', () => watch.retryNow())
    watch.start()
  }

  return {
    map,
    onTilesOffline(listener) {
      listeners.push(listener)
      if (offline !== null) listener(offline)
    },
    setUnits(units) {
      scale.remove()
      scale = L.control
        .scale({ position: 'bottomleft', imperial: units === 'imperial', metric: units === 'metric' })
        .addTo(map)
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
