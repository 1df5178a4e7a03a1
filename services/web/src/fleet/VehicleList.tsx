import { useEffect, useRef } from 'preact/hooks'
import { useDisplay } from '../shared/display-context.ts'
import type { Vehicle } from '../shared/types.ts'
import { statusOf } from './vehicle-status.ts'

/** The selected vehicle, and whether it was chosen in the list (the list then needs no scrolling). */
export type Selection = { name: string; fromList: boolean } | null

export interface VehicleListProps {
  /** Sorted by name. */
  vehicles: readonly Vehicle[]
  now: number
  /** Whether a vehicle is listed (the search and the legend). */
  shown: (vehicle: Vehicle, now: number) => boolean
  selection: Selection
  onSelect: (name: string) => void
}

/** The side panel's list: each vehicle's status, name, last report and speed. */
export function VehicleList({ vehicles, now, shown, selection, onSelect }: VehicleListProps) {
  const display = useDisplay()
  const list = useRef<HTMLUListElement>(null)
  // A vehicle chosen on the map is scrolled into view in the list.
  useEffect(() => {
    if (selection === null || selection.fromList) return
    list.current
      ?.querySelector(`[data-name="${CSS.escape(selection.name)}"]`)
      ?.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
  }, [selection])
  const empty =
    vehicles.length === 0
      ? 'Waiting for vehicles…'
      : vehicles.some((vehicle) => shown(vehicle, now))
        ? ''
        : 'No vehicle matches'
  return (
    <>
      <ul ref={list} id="vehicle-list" class="vehicle-list" aria-label="Vehicles">
        {vehicles.map((vehicle) => {
          const isSelected = vehicle.name === selection?.name
          return (
            <li
              key={vehicle.name}
              class={isSelected ? 'vehicle is-selected' : 'vehicle'}
              data-name={vehicle.name}
              data-look={statusOf(vehicle, now)}
              hidden={!shown(vehicle, now)}
            >
              <button
                type="button"
                class="vehicle-button"
                aria-pressed={isSelected}
                onClick={() => onSelect(vehicle.name)}
              >
                <span class="vehicle-dot" aria-hidden="true"></span>
                <span class="vehicle-main">
                  <span class="vehicle-name">{vehicle.name}</span>
                  <span class="vehicle-ago">{display.ago(vehicle.timestamp, now)}</span>
                </span>
                <span class="vehicle-speed">
                  <span class="vehicle-speed-value">{display.speed(vehicle.speedKmh)}</span>
                  <span class="vehicle-unit">{display.speedUnit}</span>
                </span>
              </button>
            </li>
          )
        })}
      </ul>
      <p id="list-empty" class="list-empty" hidden={empty === ''}>
        {empty}
      </p>
    </>
  )
}
