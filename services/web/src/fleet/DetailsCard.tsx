import { useDisplay } from '../shared/display-context.ts'
import type { Vehicle } from '../shared/types.ts'
import { compassPoint, statusOf } from './vehicle-status.ts'

export interface DetailsCardProps {
  vehicle: Vehicle | undefined
  now: number
  /** Whether the map keeps the vehicle in view as it drives. */
  following: boolean
  onFollow: (follow: boolean) => void
  /** Opens the vehicle's history (replay, trips, stops). */
  onHistory: () => void
  onClose: () => void
}

/** The card over the map describing the selected vehicle, with its History and Follow. */
export function DetailsCard({ vehicle, now, following, onFollow, onHistory, onClose }: DetailsCardProps) {
  const display = useDisplay()
  const look = vehicle && statusOf(vehicle, now)
  return (
    <section id="details" class="details" aria-live="polite" hidden={!vehicle} data-look={look}>
      <header class="details-head">
        <span class="details-icon" aria-hidden="true"></span>
        <h2 class="details-name" data-field="name">
          {vehicle?.name}
        </h2>
        <button
          type="button"
          class="details-close"
          aria-label="Deselect vehicle"
          title="Deselect (Esc)"
          onClick={onClose}
        >
          <svg viewBox="0 0 16 16" aria-hidden="true">
            <path d="M4 4l8 8M12 4l-8 8" />
          </svg>
        </button>
      </header>
      {vehicle && (
        <dl class="details-grid">
          <div>
            <dt>Speed</dt>
            <dd data-field="speed">{`${display.speed(vehicle.speedKmh)} ${display.speedUnit}`}</dd>
          </div>
          <div>
            <dt>Heading</dt>
            <dd data-field="heading">
              {look === 'moving' ? `${compassPoint(vehicle.heading)} · ${Math.round(vehicle.heading)}°` : '—'}
            </dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd data-field="ago" title={display.dateTime(vehicle.timestamp)}>
              {display.ago(vehicle.timestamp, now)}
            </dd>
          </div>
          <div>
            <dt>Position</dt>
            <dd data-field="position">{`${vehicle.lat.toFixed(5)}, ${vehicle.lng.toFixed(5)}`}</dd>
          </div>
        </dl>
      )}
      <p class="details-note">
        <span class="trail-swatch" aria-hidden="true"></span>Trail of the last 15 minutes
      </p>
      <div class="details-actions">
        <button type="button" class="button button-small details-history" onClick={onHistory}>
          History
        </button>
        <button
          type="button"
          class="button button-small details-follow"
          aria-pressed={following}
          title={following ? 'The map keeps this vehicle in view' : 'Keep this vehicle in view'}
          onClick={() => onFollow(!following)}
        >
          {following ? 'Following' : 'Follow'}
        </button>
      </div>
    </section>
  )
}
