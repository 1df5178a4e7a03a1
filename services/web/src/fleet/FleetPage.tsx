import { useSignalEffect } from '@preact/signals'
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { AppStore } from '../app/store.ts'
import type { Vehicle } from '../shared/types.ts'
import { FleetMap } from './fleet-map.ts'
import { DetailsCard } from './DetailsCard.tsx'
import { statusOf, type VehicleStatus } from './vehicle-status.ts'
import { VehicleList, type Selection } from './VehicleList.tsx'

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
    // For tests and tools: where a vehicle or a cluster is drawn on the (canvas) map, and what the map shows.
    Object.assign(window, {
      convoy: {
        pointOf: (name: string) => fleetMap.pointOf(name),
        clusters: () => fleetMap.clusters(),
        view: () => fleetMap.view(),
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
  const vehicle = selected === null ? undefined : store.fleet.get(selected)
  // Sorted again only when vehicles come or go: 5,000 names took milliseconds at every redraw.
  const names = useMemo(() => [...store.fleet.names()].sort(collator.compare), [store.fleet.membership])
  return (
    <>
      <main class="map-area">
        <div ref={container} id="map" class="map" role="region" aria-label="Map of the fleet"></div>
        <DetailsCard
          vehicle={vehicle}
          now={now}
          following={following}
          onFollow={(follow) => map.current?.follow(follow)}
          onClose={() => setSelection(null)}
        />
      </main>
      <aside class="panel" aria-label="Vehicles">
        <div class="panel-head">
          <h2 class="panel-title">Vehicles</h2>
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
      </aside>
    </>
  )
}
