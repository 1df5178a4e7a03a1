import { useEffect, useState } from 'preact/hooks'
import type { Api } from '../../shared/api.ts'
import { useDisplay } from '../../shared/display-context.ts'
import { useInterval, useMounted } from '../../shared/hooks.ts'
import { problemText } from '../../shared/problem-text.ts'
import { FLEET_EVENT_KINDS, type FleetEvent, type FleetEventKind } from '../../shared/types.ts'
import { eventText, isWarning, KIND_LABELS } from './event-text.ts'

/** How often the list is asked for again while it is open. */
const REFRESH_MS = 10_000

export interface EventsPanelProps {
  api: Pick<Api, 'events'>
  now: number
  /** An event was chosen: show where it happened. */
  onShow: (event: FleetEvent) => void
}

/**
 * The fleet's events, newest first: geofences entered and left, speeding, long stops, lost
 * signals — filtered by kind and by vehicle; choosing one shows it on the map.
 */
export function EventsPanel({ api, now, onShow }: EventsPanelProps) {
  const display = useDisplay()
  const mounted = useMounted()
  const [kind, setKind] = useState<FleetEventKind | ''>('')
  const [vehicle, setVehicle] = useState('')
  const [events, setEvents] = useState<readonly FleetEvent[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [refreshes, setRefreshes] = useState(0)
  useInterval(() => setRefreshes((count) => count + 1), REFRESH_MS)

  useEffect(() => {
    let current = true
    api.events({ kind: kind || undefined, vehicle: vehicle.trim() || undefined }).then(
      (list) => {
        if (!current || !mounted()) return
        setEvents(list)
        setError(null)
      },
      (failure: unknown) => current && mounted() && setError(problemText(failure)),
    )
    // A newer filter's answer wins over an older one's.
    return () => {
      current = false
    }
  }, [kind, vehicle, refreshes])

  return (
    <div class="events">
      <div class="events-filters">
        <select
          class="control"
          aria-label="Kind of event"
          value={kind}
          onChange={(event) => setKind(event.currentTarget.value as FleetEventKind | '')}
        >
          <option value="">Every kind</option>
          {FLEET_EVENT_KINDS.map((each) => (
            <option key={each} value={each}>
              {KIND_LABELS[each]}
            </option>
          ))}
        </select>
        <input
          type="search"
          class="control"
          aria-label="Events of the vehicle"
          placeholder="Vehicle"
          value={vehicle}
          onChange={(event) => setVehicle(event.currentTarget.value)}
        />
      </div>
      <p class="form-error notice" role="alert" hidden={error === null}>
        {error}
      </p>
      <ul class="event-list" aria-label="Events">
        {(events ?? []).map((event) => (
          <li
            key={event.id}
            class="event"
            data-kind={event.kind}
            data-tone={isWarning(event) ? 'warning' : 'news'}
          >
            <button type="button" class="event-button" onClick={() => onShow(event)}>
              <span class="event-text">{eventText(event, display)}</span>
              <time class="event-time" dateTime={event.time} title={display.dateTime(event.time)}>
                {display.when(event.time, now)}
              </time>
            </button>
          </li>
        ))}
      </ul>
      <p class="list-empty" hidden={events === null || events.length > 0}>
        {kind || vehicle
          ? 'No event matches.'
          : 'Nothing has happened yet. Draw a geofence to hear of vehicles entering it.'}
      </p>
    </div>
  )
}
