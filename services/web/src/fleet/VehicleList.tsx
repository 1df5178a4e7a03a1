import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { useDisplay } from '../shared/display-context.ts'
import type { Vehicle } from '../shared/types.ts'
import { listWindow, rowForKey, scrollToRow, type RowGeometry } from './list-window.ts'
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

/**
 * Above this many rows only those in view, and `MARGIN_ROWS` on each side, are in the DOM: a
 * redraw of 5,000 rows every half second took most of the page's time. Up to it every row is.
 */
export const WINDOW_ABOVE = 200
const MARGIN_ROWS = 12
/** The rows' geometry until a row is measured (panel.css: 52 px rows under 6 px of padding). */
const FIRST_GEOMETRY: RowGeometry = { rowHeight: 52, top: 6 }

/**
 * The side panel's list: each vehicle's status, name, last report and speed, sorted by name. Every
 * row has one height (panel.css, narrow.css), so a long list is windowed by arithmetic; each row
 * says its place (`aria-posinset` of `aria-setsize`), and the arrows, Page Up/Down, Home and End
 * move between rows, the list scrolling after the focus.
 */
export function VehicleList({ vehicles, now, shown, selection, onSelect }: VehicleListProps) {
  const display = useDisplay()
  const list = useRef<HTMLUListElement>(null)
  const [viewport, setViewport] = useState({ scrollTop: 0, height: 0 })
  const [geometry, setGeometry] = useState(FIRST_GEOMETRY)
  /** A row the keyboard moved to, focused once it is drawn. */
  const focusing = useRef<string | null>(null)
  const rows = useMemo(() => vehicles.filter((vehicle) => shown(vehicle, now)), [vehicles, now, shown])
  const windowed = rows.length > WINDOW_ABOVE
  const { first, end, before, after } = windowed
    ? listWindow(rows.length, geometry, viewport.scrollTop, viewport.height, MARGIN_ROWS)
    : { first: 0, end: rows.length, before: 0, after: 0 }

  const follow = () => {
    const element = list.current
    if (element) setViewport({ scrollTop: element.scrollTop, height: element.clientHeight })
  }
  useEffect(() => {
    const observer = new ResizeObserver(follow)
    observer.observe(list.current!)
    return () => observer.disconnect()
  }, [])
  // The rows' height and the list's padding come from the style sheets (a phone's rows are lower).
  const hasRows = rows.length > 0
  useLayoutEffect(() => {
    const row = list.current?.querySelector<HTMLElement>('.vehicle')
    if (!row || row.offsetHeight === 0) return
    const measured = { rowHeight: row.offsetHeight, top: row.offsetTop - before }
    if (measured.rowHeight !== geometry.rowHeight || measured.top !== geometry.top) setGeometry(measured)
  }, [hasRows, viewport.height])
  // A vehicle chosen on the map is scrolled into view in the list.
  useEffect(() => {
    const element = list.current
    const index = selection === null ? -1 : rows.findIndex((vehicle) => vehicle.name === selection.name)
    if (selection === null || selection.fromList || !element || index < 0) return
    const top = scrollToRow(index, geometry, element.scrollTop, element.clientHeight)
    element.scrollTo({ top, behavior: 'smooth' })
  }, [selection])
  useEffect(() => {
    if (focusing.current === null) return
    const button = list.current?.querySelector<HTMLElement>(
      `[data-name="${CSS.escape(focusing.current)}"] > .vehicle-button`,
    )
    if (!button) return
    focusing.current = null
    button.focus({ preventScroll: true })
  })

  const onKeyDown = (event: KeyboardEvent) => {
    const element = list.current!
    const row = (event.target as HTMLElement).closest('.vehicle')
    if (!row) return
    const index = Number(row.getAttribute('aria-posinset')) - 1
    const perPage = Math.floor(element.clientHeight / geometry.rowHeight)
    const to = rowForKey(event.key, index, rows.length, perPage)
    if (to === null) return
    event.preventDefault()
    element.scrollTop = scrollToRow(to, geometry, element.scrollTop, element.clientHeight)
    focusing.current = rows[to]!.name
    follow()
  }

  const empty =
    vehicles.length === 0 ? 'Waiting for vehicles…' : rows.length === 0 ? 'No vehicle matches' : ''
  return (
    <>
      <ul
        ref={list}
        id="vehicle-list"
        class="vehicle-list"
        aria-label="Vehicles"
        style={windowed ? `--before:${before}px;--after:${after}px` : undefined}
        onScroll={follow}
        onKeyDown={onKeyDown}
      >
        {rows.slice(first, end).map((vehicle, offset) => {
          const isSelected = vehicle.name === selection?.name
          return (
            <li
              key={vehicle.name}
              class={isSelected ? 'vehicle is-selected' : 'vehicle'}
              data-name={vehicle.name}
              data-look={statusOf(vehicle, now)}
              aria-setsize={rows.length}
              aria-posinset={first + offset + 1}
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
