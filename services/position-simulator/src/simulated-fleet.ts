import type { Point, Track } from '@convoy/tracks'
import { createCircuit, type Circuit } from './circuit.ts'

/**
 * How one driver drives one lap of a circuit: the distance driven after each whole second.
 * Computed once, so a vehicle's position is a pure function of time: every simulator (a restarted
 * one, or a second replica) puts a vehicle at the same place at the same moment, with no jump.
 */
export interface LapProfile {
  circuit: Circuit
  /** Seconds one lap takes. */
  seconds: number
  /** Distance driven at whole second k of the lap, for k in [0, seconds]. */
  distances: Float64Array
}

export interface SimulatedVehicle {
  name: string
  profile: LapProfile
  /** Where in its lap the vehicle is at time 0, in seconds. */
  offset: number
}

const KMH = 1 / 3.6
const ACCELERATION = 1.5 // m/s², a comfortable car or van
const BRAKING = 3
const LOOKAHEAD_M = 40

/** A stable pseudo-random number in [0, 1) from a name, so a restart drives the same fleet. */
function seeded(name: string): number {
  let hash = 2166136261
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619)
  return (hash >>> 0) / 2 ** 32
}

/**
 * Drives one lap second by second: the driver eases towards a cruising speed and slows down for
 * bends ahead (a 90° corner at about a third of cruising speed).
 */
export function lapProfile(circuit: Circuit, cruiseKmh: number): LapProfile {
  const cruise = cruiseKmh * KMH
  const distances = [0]
  let distance = 0
  let speed = cruise * 0.6
  while (distance < circuit.length) {
    const turn = circuit.turnAhead(distance, LOOKAHEAD_M)
    const target = cruise * Math.max(0.3, 1 - turn / 130)
    speed = Math.max(1, speed + Math.max(-BRAKING, Math.min(ACCELERATION, target - speed)))
    distance += speed
    distances.push(Math.min(distance, circuit.length))
  }
  // The last second is partly spent: the lap takes a fraction of it.
  const last = distances.length - 1
  const seconds =
    last - 1 + (circuit.length - distances[last - 1]!) / (distances[last]! - distances[last - 1]!)
  return { circuit, seconds, distances: Float64Array.from(distances) }
}

/** Where the vehicle is at `time` (seconds on the simulation clock). */
export function positionAt(vehicle: SimulatedVehicle, time: number): Point {
  const { profile } = vehicle
  const s = (((time + vehicle.offset) % profile.seconds) + profile.seconds) % profile.seconds
  const k = Math.floor(s)
  const from = profile.distances[k]!
  const to = profile.distances[Math.min(k + 1, profile.distances.length - 1)]!
  return profile.circuit.at(from + (to - from) * (s - k))
}

/**
 * The recorded vehicles (first `count` tracks), each at its own cruising speed between 25 and
 * 55 km/h, plus `synthetic` load vehicles spread over the same tracks (sharing one profile per
 * track, so thousands of them cost little memory).
 */
export function createFleet(tracks: Track[], count: number, synthetic: number): SimulatedVehicle[] {
  const circuits = tracks.map((track) => createCircuit(track.points))
  const vehicle = (name: string, profile: LapProfile): SimulatedVehicle => ({
    name,
    profile,
    offset: profile.seconds * seeded(`${name}/start`),
  })
  const fleet = tracks
    .slice(0, count)
    .map((track, i) => vehicle(track.name, lapProfile(circuits[i]!, 25 + 30 * seeded(track.name))))
  const shared = new Map<number, LapProfile>()
  for (let i = 0; i < synthetic; i++) {
    const r = i % circuits.length
    if (!shared.has(r)) shared.set(r, lapProfile(circuits[r]!, 30 + 20 * seeded(`load/${r}`)))
    fleet.push(vehicle(`Load ${String(i + 1).padStart(5, '0')}`, shared.get(r)!))
  }
  return fleet
}
