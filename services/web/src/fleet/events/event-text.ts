import type { Display } from '../../shared/display.ts'
import type { FleetEvent, FleetEventKind } from '../../shared/types.ts'

/** What each kind is called in the events panel's filter. */
export const KIND_LABELS: Record<FleetEventKind, string> = {
  'geofence.entered': 'Entered a geofence',
  'geofence.exited': 'Left a geofence',
  overspeed: 'Speeding',
  stopped: 'Long stop',
  'signal.lost': 'No signal',
}

/** An event in words, in the user's units: "Van 12 entered Depot North". */
export function eventText(event: FleetEvent, display: Pick<Display, 'speed' | 'speedUnit'>): string {
  const vehicle = event.vehicleName
  switch (event.kind) {
    case 'geofence.entered':
      return `${vehicle} entered ${event.geofence.name}`
    case 'geofence.exited':
      return `${vehicle} left ${event.geofence.name}`
    case 'overspeed': {
      const { speedKmh, limitKmh, forSeconds } = event.details
      const unit = display.speedUnit
      return `${vehicle} drove at ${display.speed(speedKmh)} ${unit} for ${forSeconds} s (limit ${display.speed(limitKmh)} ${unit})`
    }
    case 'stopped':
      return `${vehicle} has stood still for ${event.details.forMinutes} min`
    case 'signal.lost':
      return `${vehicle} has sent nothing for ${event.details.forMinutes} min`
  }
}

/** Whether an event is a warning (speeding, lost signal) rather than news. */
export const isWarning = (event: FleetEvent) => event.kind === 'overspeed' || event.kind === 'signal.lost'
