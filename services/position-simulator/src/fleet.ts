import type { Track } from '@convoy/tracks'
import { createRoute, type Route } from './route.ts'

export interface SimulatedVehicle {
  name: string
  route: Route
  /** Metres driven along the route. */
  distance: number
  /** Current speed, metres per second. */
  speed: number
  /** The speed this driver likes on a straight road, metres per second. */
  cruise: number
}

const KMH = 1 / 3.6
const ACCELERATION = 1.5 // m/s², a comfortable car or van
const LOOKAHEAD_M = 40

/** A stable pseudo-random number in [0, 1) from a name, so a restart drives the same fleet. */
function seeded(name: string): number {
  let hash = 2166136261
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619)
  return (hash >>> 0) / 2 ** 32
}

/**
 * The recorded vehicles (first `count` tracks) plus `synthetic` load vehicles spread over the
 * same tracks. Each starts somewhere along its track and cruises at its own pace.
 */
export function createFleet(tracks: Track[], count: number, synthetic: number): SimulatedVehicle[] {
  const routes = tracks.map((track) => createRoute(track.points))
  const vehicle = (name: string, route: Route): SimulatedVehicle => {
    const r = seeded(name)
    const cruise = (25 + 30 * r) * KMH
    return { name, route, distance: route.length * seeded(`${name}/start`), speed: cruise * 0.6, cruise }
  }
  const fleet = tracks.slice(0, count).map((track, i) => vehicle(track.name, routes[i]!))
  for (let i = 0; i < synthetic; i++) {
    fleet.push(vehicle(`Load ${String(i + 1).padStart(5, '0')}`, routes[i % routes.length]!))
  }
  return fleet
}

/**
 * Drives a vehicle for `seconds`: it eases towards its cruising speed, slowing down for bends
 * ahead (a 90° corner at about a third of cruising speed).
 */
export function drive(vehicle: SimulatedVehicle, seconds: number): void {
  const turn = vehicle.route.turnAhead(vehicle.distance, LOOKAHEAD_M)
  const target = vehicle.cruise * Math.max(0.3, 1 - turn / 130)
  const change = Math.max(
    -ACCELERATION * 2 * seconds,
    Math.min(ACCELERATION * seconds, target - vehicle.speed),
  )
  vehicle.speed = Math.max(0, vehicle.speed + change)
  vehicle.distance = (vehicle.distance + vehicle.speed * seconds) % vehicle.route.length
}
