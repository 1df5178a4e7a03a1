import { useSignalEffect } from '@preact/signals'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { AppStore } from '../app/store.ts'
import { MAY_EDIT_FLEET_RULES, MAY_EDIT_GEOFENCES } from '@convoy/contracts'
import type { Geofence, Vehicle } from '../shared/types.ts'
import { EventsPanel } from './events/EventsPanel.tsx'
import { GeofencesPanel } from './geofences/GeofencesPanel.tsx'
import { FleetMap } from './fleet-map.ts'
import { DetailsCard } from './DetailsCard.tsx'
import { HistoryPanel } from './history/HistoryPanel.tsx'
import { statusOf, type VehicleStatus } from './vehicle-status.ts'
import { VehicleList, type Selection } from './VehicleList.tsx'

type PanelTab = 'vehicles' | 'events' | 'geofences'
const PANEL_TABS: ReadonlyArray<{ tab: PanelTab; label: string }> = [
  { tab: 'vehicles', label: 'Vehicles' },
  { tab: 'events', label: 'Events' },
  { tab: 'geofences', label: 'Geofences' },
]
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
const STATUSES: ReadonlyArray<{ status: VehicleStatus; label: string }> = [
  { status: 'moving', label: 'Moving' },
  { status: 'stopped', label: 'Stopped' },
  { status: 'stale', label: 'No signal' },
]
const ALL_STATUSES: ReadonlySet<VehicleStatus> = new Set(STATUSES.map(({ status }) => status))

/** The set with `status` taken out if it was in, put in if not. */
function toggled(statuses: ReadonlySet<VehicleStatus>, status: VehicleStatus): ReadonlySet<VehicleStatus> {
  const next = new Set(statuses)
  if (!next.delete(status)) next.add(status)
  return next
}

/**
 * `#/`: the live map with the selected vehicle's card, and the side panel listing the vehicles
 * (searchable). Selecting a vehicle — on the map or in the list — marks it in both, flies to it and
 * draws its trail; clicking it again, its card's ×, or Escape deselects it.
 */
export function FleetPage({ store }: { store: AppStore }) {
  const container = useRef<HTMLDivElement>(null)
  const map = useRef<FleetMap | null>(null)
  const [selection, setSelection] = useState<Selection>(null)
  const [filter, setFilter] = useState('')
  const [statuses, setStatuses] = useState<ReadonlySet<VehicleStatus>>(ALL_STATUSES)
  const [following, setFollowing] = useState(false)
  /** The vehicle whose history is open (the live card gives way to it). */
  const [history, setHistory] = useState<string | null>(null)
  const [tab, setTab] = useState<PanelTab>('vehicles')
  const [geofences, setGeofences] = useState<readonly Geofence[]>([])
  const loadGeofences = async () => {
    try {
      const list = await store.api.geofences()
      setGeofences(list)
      map.current?.geofences.show(list)
    } catch (error) {
      console.warn('geofences unavailable', error)
    }
  }
  const selected = selection?.name ?? null
  const search = filter.trim().toLowerCase()
  /** The search and the legend's statuses decide which vehicles the list and the map show. */
  const shown = (vehicle: Vehicle, now: number) =>
    (search === '' || vehicle.name.toLowerCase().includes(search)) && statuses.has(statusOf(vehicle, now))
  const toggle = (name: string, fromList: boolean) =>
    setSelection((current) => (current?.name === name ? null : { name, fromList }))

  useEffect(() => {
    const fleetMap = new FleetMap(container.current!, {
      fleet: store.fleet,
      api: store.api,
      onClick: (name) => toggle(name, false),
      onFollowChange: setFollowing,
      config: store.config,
    })
    map.current = fleetMap
    void loadGeofences()
    // For tests and tools: where a vehicle or a cluster is drawn on the (canvas) map, and what the map shows.
    Object.assign(window, {
      convoy: {
        pointOf: (name: string) => fleetMap.pointOf(name),
        clusters: () => fleetMap.clusters(),
        view: () => fleetMap.view(),
        replayCursor: () => fleetMap.history.cursorAt(),
        pointAt: (lat: number, lng: number) => fleetMap.pointAt(lat, lng),
      },
    })
    const unsubscribe = store.fleet.subscribe((change) =>
      setSelection((current) => (current && change.removed.includes(current.name) ? null : current)),
    )
    return () => {
      unsubscribe()
      fleetMap.dispose()
      map.current = null
    }
  }, [])
  useEffect(() => map.current?.select(selected), [selected])
  useSignalEffect(() => map.current?.refresh(store.now.value))
  useSignalEffect(() => map.current?.setUnits(store.preferences.value.units))
  // The canvas's roads take the colours of every new theme.
  useSignalEffect(() => {
    if (store.theme.value) map.current?.restyle()
  })
  // Before the browser paints: the map leaves out what the list does in the same frame.
  useLayoutEffect(() => map.current?.filter(shown, Date.now()), [search, statuses])
  useSignalEffect(() => {
    const snapshot = store.firstSnapshot.value
    if (snapshot) map.current?.snapshotLoaded(snapshot)
  })
  // A fleet alert chosen in the bell or a toast: its place on the map.
  useSignalEffect(() => {
    const place = store.placeToShow.value
    if (!place || !map.current) return
    map.current.showPlace(place.lat, place.lng)
    store.placeToShow.value = null
  })
  // Signed out: nothing stays selected.
  useSignalEffect(() => {
    if (store.user.value === null) setSelection(null)
  })
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // Escape in a dialog or a menu is theirs.
      if (event.key === 'Escape' && !event.defaultPrevented) setSelection(null)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  const now = store.now.value
  const user = store.user.value
  const vehicle = selected === null ? undefined : store.fleet.get(selected)
  // Sorted again only when vehicles come or go: 5,000 names took milliseconds at every redraw.
  const names = useMemo(() => [...store.fleet.names()].sort(collator.compare), [store.fleet.membership])
  return (
    <>
      <main class="map-area">
        <div ref={container} id="map" class="map" role="region" aria-label="Map of the fleet"></div>
        {history !== null && map.current && (
          <HistoryPanel
            key={history}
            name={history}
            api={store.api}
            layer={map.current.history}
            timeZone={store.preferences.value.timeZone ?? BROWSER_ZONE}
            onClose={() => setHistory(null)}
          />
        )}
        <DetailsCard
          onHistory={() => {
            // The replay takes the map: the live selection (its trail, following) gives way.
            setHistory(selected)
            setSelection(null)
          }}
          vehicle={vehicle}
          now={now}
          following={following}
          onFollow={(follow) => map.current?.follow(follow)}
          onClose={() => setSelection(null)}
        />
      </main>
      <aside class="panel" aria-label="Vehicles">
        <div class="panel-tabs" role="tablist" aria-label="Panel">
          {PANEL_TABS.map((each) => (
            <button
              key={each.tab}
              type="button"
              role="tab"
              aria-selected={tab === each.tab}
              onClick={() => setTab(each.tab)}
            >
              {each.label}
            </button>
          ))}
        </div>
        {tab === 'events' && (
          <EventsPanel
            api={store.api}
            now={now}
            onShow={(event) => map.current?.showPlace(event.lat, event.lng)}
          />
        )}
        {tab === 'geofences' && map.current && (
          <GeofencesPanel
            api={store.api}
            geofences={geofences}
            reload={loadGeofences}
            drawing={map.current.drawing}
            layer={map.current.geofences}
            mayEdit={user !== null && MAY_EDIT_GEOFENCES.includes(user.role)}
            mayEditRules={user !== null && MAY_EDIT_FLEET_RULES.includes(user.role)}
          />
        )}
        {/* The vehicles stay rendered under the other tabs: the list keeps its place and scroll. */}
        <div class="panel-view" hidden={tab !== 'vehicles'}>
          <div class="panel-head">
            <div class="search">
              <svg viewBox="0 0 16 16" aria-hidden="true">
                <circle cx="7" cy="7" r="4.5" />
                <path d="M10.5 10.5 14 14" />
              </svg>
              <input
                id="filter"
                type="search"
                placeholder="Search vehicles"
                autocomplete="off"
                spellcheck={false}
                aria-label="Search vehicles"
                value={filter}
                onInput={(event) => setFilter(event.currentTarget.value)}
              />
            </div>
            <div class="list-legend" role="group" aria-label="Show vehicles by status">
              {STATUSES.map(({ status, label }) => (
                <button
                  key={status}
                  type="button"
                  class="legend-toggle"
                  aria-pressed={statuses.has(status)}
                  title={
                    statuses.has(status)
                      ? `Hide ${label.toLowerCase()} vehicles`
                      : `Show ${label.toLowerCase()} vehicles`
                  }
                  onClick={() => setStatuses(toggled(statuses, status))}
                >
                  <i data-look={status}></i>
                  {label}
                </button>
              ))}
            </div>
          </div>
          <VehicleList
            vehicles={names.map((name) => store.fleet.get(name)!)}
            now={now}
            shown={shown}
            selection={selection}
            onSelect={(name) => toggle(name, true)}
          />
        </div>
      </aside>
    </>
  )
}
