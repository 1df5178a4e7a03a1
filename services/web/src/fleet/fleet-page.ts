import L from 'leaflet'
import roadsUrl from 'virtual:convoy-roads'
import type { Api } from '../shared/api.ts'
import { DetailsCard } from './details-card.ts'
import { LiveFeed, liveUrl } from './feed.ts'
import { FleetState } from './fleet-state.ts'
import type { HeaderBar } from './header-bar.ts'
import { InitialView } from './initial-view.ts'
import { createMapView } from './map-view.ts'
import { loadRoadMap, RoadsLayer } from './roads-layer.ts'
import { snapshotLoader } from './snapshot.ts'
import { TrailLayer } from './trail-layer.ts'
import { VehicleLayer } from './vehicle-layer.ts'
import type { Media, Notification } from '../shared/types.ts'
import { VehicleList } from './vehicle-list.ts'

/** How often the list, the details and the "last seen" texts are redrawn. */
const RENDER_MS = 500
const FIT: L.FitBoundsOptions = { padding: [32, 32], maxZoom: 15 }
/** How far around the tracks the map can be panned (a share of their extent on every side). */
const MAX_BOUNDS_PAD = 1

export interface FleetPageOptions {
  api: Pick<Api, 'vehicles' | 'history'>
  header: HeaderBar
  /** The session's current access token, for the live feed. */
  token(): string | null
  /** The live feed's token was refused: renew the session (see `LiveFeedOptions.onUnauthorized`). */
  renew(): Promise<boolean>
  /** The user's own events on the feed: a media job changed, a notification was created. */
  onMedia?(media: Media): void
  onNotification?(notification: Notification): void
  /** The feed (re)connected: events may have been missed meanwhile. */
  onConnected?(): void
}

export interface FleetPage {
  /** Connects the live feed (and loads the fleet once connected). */
  start(): void
  /** Disconnects the live feed (signed out). */
  stop(): void
  /** Hands a renewed access token to the open live feed. */
  authorize(token: string): void
}

/** Wires the fleet state to the map, the list and the live feed (whose user events go on to `options`). */
export function createFleetPage(doc: Document, options: FleetPageOptions): FleetPage {
  const { api, header } = options
  const byId = <T extends HTMLElement = HTMLElement>(id: string) => doc.getElementById(id) as T
  const fleet = new FleetState()
  const { map, onTilesOffline } = createMapView(byId('map'))
  const vehicles = new VehicleLayer(map, (name) => toggle(name, false))
  const trail = new TrailLayer(map, (name, from, signal) => api.history(name, from, signal))
  const list = new VehicleList(byId('vehicle-list'), byId('list-empty'), (name) => toggle(name, true))
  const details = new DetailsCard(byId('details'), () => select(null))
  let selected: string | null = null
  // The first view: the area of the tracks, or the first snapshot's vehicles without the drawing.
  const initialView = new InitialView((points) => map.fitBounds(points, FIT))
  // A user who touches the map before the data is in keeps the view they make.
  for (const type of ['pointerdown', 'wheel', 'keydown'])
    map.getContainer().addEventListener(type, () => initialView.userMoved(), { passive: true })

  loadRoadMap(roadsUrl).then(
    (roadMap) => {
      const roads = new RoadsLayer(map, roadMap)
      onTilesOffline((offline) => roads.setOffline(offline))
      map.setMaxBounds(L.latLngBounds(roadMap.bounds).pad(MAX_BOUNDS_PAD))
      initialView.roadsLoaded(roadMap.home)
    },
    (error: unknown) => {
      console.warn('road drawing unavailable', error)
      initialView.roadsFailed()
    },
  )

  fleet.subscribe((change) => {
    vehicles.apply(change)
    list.note(change)
    trail.extend(change.changed)
    if (selected !== null && change.removed.includes(selected)) select(null)
  })

  function select(name: string | null, fromList = false): void {
    selected = name
    vehicles.select(name)
    list.select(name, !fromList)
    details.show(name === null ? undefined : fleet.get(name))
    if (name === null) {
      trail.clear()
      return
    }
    void trail.show(name)
    const vehicle = fleet.get(name)
    if (vehicle) map.flyTo([vehicle.lat, vehicle.lng], Math.max(map.getZoom(), 15), { duration: 0.8 })
    initialView.userMoved()
  }

  function toggle(name: string, fromList: boolean): void {
    select(selected === name ? null : name, fromList)
  }

  doc.addEventListener('keydown', (event) => {
    // Escape in a dialog or a menu is theirs.
    if (event.key === 'Escape' && selected !== null && !event.defaultPrevented) select(null)
  })
  const filter = byId<HTMLInputElement>('filter')
  filter.addEventListener('input', () => list.setFilter(filter.value))

  const render = () => {
    const now = Date.now()
    list.render(fleet, now)
    vehicles.refresh(now)
    header.setCount(fleet.size)
    if (selected !== null) details.show(fleet.get(selected), now)
  }
  setInterval(render, RENDER_MS)
  // The first vehicles are drawn at once rather than up to RENDER_MS later.
  fleet.subscribe(() => {
    if (list.isEmpty) render()
  })

  const loadSnapshot = snapshotLoader(fleet, (signal) => api.vehicles(signal), {
    onLoaded: (snapshot) => initialView.snapshotLoaded(snapshot),
  })
  const feed = new LiveFeed({
    url: liveUrl(location),
    onVehicles: (changed) => fleet.update(changed),
    onMedia: (media) => options.onMedia?.(media),
    onNotification: (notification) => options.onNotification?.(notification),
    // A full snapshot after every (re)connect, so nothing missed while disconnected stays on screen.
    onConnected: () => {
      loadSnapshot()
      options.onConnected?.()
    },
    onStatus: (status) => header.setStatus(status),
    token: () => options.token(),
    onUnauthorized: () => options.renew(),
  })

  // For tests and tools: where a vehicle is drawn on the (canvas) map, and what the map shows.
  Object.assign(window, {
    convoy: {
      pointOf: (name: string) => vehicles.pointOf(name),
      view: () => {
        const bounds = map.getBounds()
        const [south, west, north, east] = [
          bounds.getSouth(),
          bounds.getWest(),
          bounds.getNorth(),
          bounds.getEast(),
        ]
        return { south, west, north, east, zoom: map.getZoom() }
      },
    },
  })

  return {
    start: () => feed.start(),
    stop: () => {
      feed.stop()
      loadSnapshot.cancel()
      select(null)
    },
    authorize: (token) => feed.authorize(token),
  }
}
