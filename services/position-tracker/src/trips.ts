import { distanceMetres } from '@convoy/geo'
import type { Stop, Trip, TripRules } from '@convoy/contracts'
import { motion, type TimedPoint } from '@convoy/geo'

/**
 * What makes a stop and what ends a trip (docs/architecture.md#trips-and-stops): a vehicle that
 * stays within 50 m of where it was for 5 minutes or more is stopped; reports more than 5 minutes
 * apart (away from a stop) end a trip. Traffic lights and queues are shorter than a stop; a
 * parked tracker that goes quiet is still stopped when it reports again from the same place.
 */
export const TRIP_RULES: TripRules = { stopRadiusMetres: 50, minStopSeconds: 300, maxGapSeconds: 300 }

/**
 * How far outside a range positions are read so that what straddles its edges is seen whole
 * enough to tell: a stop that began before `from` has at least `minStopSeconds` in view, and a
 * gap that ended a trip at `to` is as long as `maxGapSeconds`.
 */
export const marginMs = (rules: TripRules) => Math.max(rules.minStopSeconds, rules.maxGapSeconds) * 1000

/** Stays (first and last index) and trips (likewise) of a run of positions, in time order. */
interface Episodes {
  stays: Array<[number, number]>
  trips: Array<[number, number]>
}

/**
 * Stay points (Li et al., 2008): from each position, the positions that follow while within
 * `stopRadiusMetres` of it; if they span `minStopSeconds` or more, they are a stay, and the search
 * goes on after them. A stay may span a silence: a parked tracker that stops reporting.
 */
function stays(positions: readonly TimedPoint[], rules: TripRules): Array<[number, number]> {
  const found: Array<[number, number]> = []
  for (let i = 0; i < positions.length;) {
    let j = i + 1
    while (j < positions.length && distanceMetres(positions[i]!, positions[j]!) <= rules.stopRadiusMetres) j++
    if (positions[j - 1]!.time - positions[i]!.time >= rules.minStopSeconds * 1000) {
      found.push([i, j - 1])
      i = j
    } else i++
  }
  return found
}

/**
 * The trips between the stays: each from the last position of the stay before it (where the
 * vehicle set off) to the first of the stay after it (where it arrived), cut where reports are
 * more than `maxGapSeconds` apart; a piece with one position is no trip.
 */
function episodes(positions: readonly TimedPoint[], rules: TripRules): Episodes {
  const found = stays(positions, rules)
  const trips: Array<[number, number]> = []
  const between = (first: number, last: number) => {
    let start = first
    for (let i = first + 1; i <= last + 1; i++) {
      const gap = i > last || positions[i]!.time - positions[i - 1]!.time > rules.maxGapSeconds * 1000
      if (!gap) continue
      if (i - 1 > start) trips.push([start, i - 1])
      start = i
    }
  }
  let from = 0
  for (const [first, last] of found) {
    between(from, first)
    from = last
  }
  between(from, positions.length - 1)
  return { stays: found, trips }
}

/**
 * The trips and stops of a range, from its positions and those within {@link marginMs} of it,
 * oldest first. What straddles an edge of the range is cut there and says so: a trip starts at
 * its first position in the range and ends at its last; a stop arrives at `from` at the earliest
 * and, still stopped at `to` or at the last position known, has no departure. `now` tells a trip
 * whose last report is recent (it may be under way) from one a silence ended.
 */
export function tripsAndStops(
  positions: readonly TimedPoint[],
  range: { from: number; to: number; now: number },
  rules: TripRules = TRIP_RULES,
): { trips: Trip[]; stops: Stop[] } {
  const found = episodes(positions, rules)
  const last = positions.length - 1
  const inRange = (i: number) => positions[i]!.time >= range.from && positions[i]!.time <= range.to

  const trips: Trip[] = []
  for (const [first, end] of found.trips) {
    let a = first
    let b = end
    while (a <= b && !inRange(a)) a++
    while (b >= a && !inRange(b)) b--
    if (b <= a) continue
    const stillGoing = end === last && range.now - positions[end]!.time <= rules.maxGapSeconds * 1000
    trips.push(trip(positions, a, b, { startsBefore: first < a, endsAfter: end > b || stillGoing }))
  }

  const stops: Stop[] = []
  for (const [first, end] of found.stays) {
    const arrival = positions[first]!.time
    const leaving = positions[end]!.time
    if (arrival > range.to || leaving < range.from) continue
    const endsAfter = leaving > range.to || end === last
    const from = Math.max(arrival, range.from)
    const until = Math.min(leaving, range.to)
    let lat = 0
    let lng = 0
    for (let i = first; i <= end; i++) {
      lat += positions[i]!.lat
      lng += positions[i]!.lng
    }
    stops.push({
      lat: lat / (end - first + 1),
      lng: lng / (end - first + 1),
      arrival: new Date(from).toISOString(),
      departure: endsAfter ? null : new Date(leaving).toISOString(),
      durationSeconds: (until - from) / 1000,
      startsBefore: arrival < range.from,
      endsAfter,
    })
  }
  return { trips, stops }
}

/** A trip over positions a to b: where and when it started and ended, how far and how fast. */
function trip(
  positions: readonly TimedPoint[],
  a: number,
  b: number,
  cut: { startsBefore: boolean; endsAfter: boolean },
): Trip {
  let metres = 0
  let maxSpeedKmh = 0
  for (let i = a + 1; i <= b; i++) {
    metres += distanceMetres(positions[i - 1]!, positions[i]!)
    maxSpeedKmh = Math.max(maxSpeedKmh, motion(positions[i - 1], positions[i]!).speedKmh)
  }
  const seconds = (positions[b]!.time - positions[a]!.time) / 1000
  const end = (p: TimedPoint) => ({ timestamp: new Date(p.time).toISOString(), lat: p.lat, lng: p.lng })
  return {
    start: end(positions[a]!),
    end: end(positions[b]!),
    distanceMetres: Math.round(metres * 10) / 10,
    durationSeconds: seconds,
    maxSpeedKmh,
    averageSpeedKmh: seconds > 0 ? Math.round((metres / seconds) * 36) / 10 : 0,
    ...cut,
  }
}
