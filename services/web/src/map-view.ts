import L from 'leaflet'

const TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
const OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
/** Without a single tile loaded by then, the map is treated as offline (requests may just hang). */
const TILE_TIMEOUT_MS = 6000
/** Sheffield: where the fleet is, until the roads or the vehicles give a better view. */
const START: L.LatLngTuple = [53.38, -1.47]

export interface MapView {
  map: L.Map
  /** Called with true when tiles cannot be loaded, false when they can again. */
  onTilesOffline: (listener: (offline: boolean) => void) => void
}

/**
 * The Leaflet map: OpenStreetMap tiles, with panes ordered tiles < roads < trail < vehicles, and a
 * watch on tile loading so the app can switch to its own drawing when there is no internet.
 */
export function createMapView(container: HTMLElement): MapView {
  const map = L.map(container, { zoomControl: false, preferCanvas: false, minZoom: 3, maxZoom: 19 })
  map.setView(START, 12)
  L.control.zoom({ position: 'bottomright' }).addTo(map)
  L.control.scale({ position: 'bottomleft', imperial: false }).addTo(map)
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>')
  map.createPane('roads').style.zIndex = '250'
  map.createPane('vehicles').style.zIndex = '450'

  const listeners: Array<(offline: boolean) => void> = []
  let offline: boolean | null = null
  const setOffline = (value: boolean) => {
    if (value === offline) return
    offline = value
    container.classList.toggle('map--offline', value)
    for (const listener of listeners) listener(value)
  }

  const tiles = L.tileLayer(TILE_URL, { attribution: OSM_ATTRIBUTION, maxZoom: 19 })
  tiles.on('tileload', () => setOffline(false))
  tiles.on('tileerror', () => {
    if (offline !== false) setOffline(true)
  })
  tiles.addTo(map)
  setTimeout(() => {
    if (offline === null) setOffline(true)
  }, TILE_TIMEOUT_MS)

  return {
    map,
    onTilesOffline(listener) {
      listeners.push(listener)
      if (offline !== null) listener(offline)
    },
  }
}
