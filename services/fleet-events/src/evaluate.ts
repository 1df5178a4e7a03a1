/**
 * What one position means for its vehicle: the events it fires and the state it leaves, given the
 * state before it, the fleet's rules and the geofences. Pure: the repository reads the state and
 * writes what comes out, under the vehicle's lock.
 */
import type { FleetEvent, FleetRules } from '@convoy/contracts'
import { motion, type Point, type TimedPoint } from '@convoy/geo'
import { nameBasedUuid } from '@convoy/platform/ids'

/** Below this speed (km/h) a vehicle stands still: a parked vehicle's GPS drifts a little. */
export const STOPPED_BELOW_KMH = 2

/** What an event says beyond who, when and where: its kind, geofence and details. */
type What = FleetEvent extends infer E
  ? E extends FleetEvent
    ? Omit<E, 'version' | 'id' | 'vehicleName' | 'time' | 'lat' | 'lng'>
    : never
  : never

/** What evaluation remembers of a vehicle between its positions. */
export interface VehicleState {
  /** Its newest position evaluated: a position no newer is late and changes nothing. */
  position: TimedPoint
  /** The speed it arrived there at (none for its first position). */
  speedKmh: number | null
  /** The geofences it is inside (their ids). */
  inside: string[]
  /** Above the speed limit since `since` (ms); `fired` once the rule's duration was reached. */
  overspeed: Episode | null
  /** Standing still since `since` (ms); `fired` once the rule's duration was reached. */
  stopped: Episode | null
  /** The sweep said its signal was lost, and no position came since. */
  signalLost: boolean
}

export interface Episode {
  since: number
  fired: boolean
}

/** A geofence as evaluation takes it: compiled once (`containment`), not parsed per position. */
export interface Fence {
  id: string
  name: string
  contains(point: Point): boolean
}

/**
 * The state a vehicle's `position` leaves and the events it fires; undefined when the position is
 * no newer than the state's (a late, duplicated or redelivered one): it could only say something
 * about the past, which has been decided, so it changes nothing.
 *
 * An episode (above the limit, standing still) starts at the position before the first one that
 * shows it, since the vehicle was already driving that way from there; it fires once, at the first
 * position at least the rule's duration after its start, and ends with the first position that
 * does not show it. A geofence deleted while a vehicle was inside is left without an exit event.
 */
export function evaluate(
  vehicleName: string,
  state: VehicleState | undefined,
  position: TimedPoint,
  rules: FleetRules,
  fences: readonly Fence[],
): { state: VehicleState; events: FleetEvent[] } | undefined {
  if (state && position.time <= state.position.time) return undefined
  const events: FleetEvent[] = []
  const fire = (event: What, episode: number) =>
    events.push(fleetEvent(vehicleName, position, event, episode))

  const inside = fences.filter((fence) => fence.contains(position))
  const was = new Set(state?.inside)
  const is = new Set(inside.map((fence) => fence.id))
  for (const fence of inside)
    if (!was.has(fence.id))
      fire(
        { kind: 'geofence.entered', geofence: { id: fence.id, name: fence.name }, details: {} },
        position.time,
      )
  for (const fence of fences)
    if (was.has(fence.id) && !is.has(fence.id))
      fire(
        { kind: 'geofence.exited', geofence: { id: fence.id, name: fence.name }, details: {} },
        position.time,
      )

  const speedKmh = state ? motion(state.position, position).speedKmh : null
  const startedAt = state?.position.time ?? position.time
  let overspeed: Episode | null = null
  if (rules.overspeed && speedKmh !== null && speedKmh > rules.overspeed.limitKmh) {
    const { limitKmh, forSeconds } = rules.overspeed
    overspeed = { ...(state?.overspeed ?? { since: startedAt, fired: false }) }
    if (!overspeed.fired && position.time - overspeed.since >= forSeconds * 1000) {
      overspeed.fired = true
      const since = new Date(overspeed.since).toISOString()
      fire(
        { kind: 'overspeed', geofence: null, details: { speedKmh, limitKmh, forSeconds, since } },
        overspeed.since,
      )
    }
  }
  let stopped: Episode | null = null
  if (rules.stopped && speedKmh !== null && speedKmh < STOPPED_BELOW_KMH) {
    const { forMinutes } = rules.stopped
    stopped = { ...(state?.stopped ?? { since: startedAt, fired: false }) }
    if (!stopped.fired && position.time - stopped.since >= forMinutes * 60_000) {
      stopped.fired = true
      fire(
        {
          kind: 'stopped',
          geofence: null,
          details: { forMinutes, since: new Date(stopped.since).toISOString() },
        },
        stopped.since,
      )
    }
  }
  return { state: { position, speedKmh, inside: [...is], overspeed, stopped, signalLost: false }, events }
}

/**
 * The event saying a vehicle last seen at `last` has sent nothing for the rule's `forMinutes`: it
 * happened `forMinutes` after its last position, where that position was.
 */
export function signalLost(vehicleName: string, last: TimedPoint, forMinutes: number): FleetEvent {
  const at = { ...last, time: last.time + forMinutes * 60_000 }
  const details = { forMinutes, lastSeen: new Date(last.time).toISOString() }
  return fleetEvent(vehicleName, at, { kind: 'signal.lost', geofence: null, details }, last.time)
}

/** The namespace of event ids (name-based UUIDs): fleet-events' own, fixed for good. */
const EVENT_NAMESPACE = '86dc3d27-3b8d-4b68-bb25-c6430e853434'

/**
 * An event with its id: a name-based UUID of its kind, vehicle, geofence and the time its episode
 * began, so that evaluating the same thing again (a redelivery, a restart, another replica) makes
 * the same id, which the events table and consumers keep once.
 */
function fleetEvent(vehicleName: string, at: TimedPoint, event: What, episode: number): FleetEvent {
  const name = [event.kind, vehicleName, event.geofence?.id ?? '', new Date(episode).toISOString()].join('\n')
  return {
    version: 1,
    id: nameBasedUuid(EVENT_NAMESPACE, name),
    vehicleName,
    time: new Date(at.time).toISOString(),
    lat: at.lat,
    lng: at.lng,
    ...event,
  }
}
