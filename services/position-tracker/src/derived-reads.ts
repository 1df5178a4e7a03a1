import type { DailySummary, TripRules, VehicleReplay, VehicleStops, VehicleTrips } from '@convoy/contracts'
import { BadRequestError } from '@convoy/platform/errors'
import type { LocalDay } from './local-day.ts'
import type { TimedPoint } from '@convoy/geo'
import { toPosition } from './to-position.ts'
import type { PositionsRepository } from './repository.ts'
import { simplify } from './simplify.ts'
import { marginMs, TRIP_RULES, tripsAndStops } from './trips.ts'

/**
 * How a replay is reduced: every position it drops lies within 10 m of where the kept ones put the
 * vehicle at its time (a GPS fix is good to about 5 m; 10 m is a few pixels at street zoom), and
 * it keeps 10,000 positions at most (about 1 MB of JSON, which a browser parses and draws at once;
 * a day of driving needs fewer).
 */
export const REPLAY_REDUCTION = { toleranceMetres: 10, maxPositions: 10_000 }

/** The longest range a replay, trips or stops may cover: the positions a default retention keeps. */
export const LONGEST_RANGE_MS = 7 * 86_400_000

/**
 * The most positions one derived read takes from the database: 7 days at 1 Hz (604,800) and room
 * to spare. A range that holds more (a tracker reporting several times a second) is refused
 * rather than held in memory.
 */
export const MAX_POSITIONS = 1_000_000

/** A range of instants, in epoch milliseconds, both ends included. */
export interface Range {
  from: number
  to: number
}

const iso = (time: number) => new Date(time).toISOString()
/** Seconds to the millisecond, without the float noise of a sum. */
const seconds = (value: number) => Math.round(value * 1000) / 1000

/**
 * The reads derived from a vehicle's stored positions when they are asked for — a replay, trips
 * and stops, a daily summary — so that positions arriving late or twice leave them right, with
 * nothing to recompute.
 */
export function derivedReads(repository: PositionsRepository, rules: TripRules = TRIP_RULES) {
  async function positions(name: string, from: number, to: number): Promise<TimedPoint[]> {
    const read = await repository.positions(name, {
      from: new Date(from),
      to: new Date(to),
      limit: MAX_POSITIONS + 1,
    })
    if (read.length > MAX_POSITIONS)
      throw new BadRequestError(`the range holds more than ${MAX_POSITIONS} positions: ask for a shorter one`)
    return read
  }

  /** The trips and stops of a range, from its positions and those just outside it. */
  async function tripsAndStopsOf(name: string, range: Range, now: number) {
    const margin = marginMs(rules)
    const around = await positions(name, range.from - margin, range.to + margin)
    return { around, ...tripsAndStops(around, { ...range, now }, rules) }
  }

  /** The positions of the range, reduced by SED Douglas–Peucker (see {@link REPLAY_REDUCTION}). */
  async function replay(name: string, range: Range): Promise<VehicleReplay> {
    const before = await repository.positionBefore(name, new Date(range.from))
    const all = await positions(name, range.from, range.to)
    const { kept, maxErrorMetres } = simplify(all, {
      toleranceMetres: REPLAY_REDUCTION.toleranceMetres,
      maxKept: REPLAY_REDUCTION.maxPositions,
    })
    return {
      name,
      from: iso(range.from),
      to: iso(range.to),
      // Each with the speed it was reached at from the position just before it, kept or not.
      positions: kept.map((i) => toPosition(i > 0 ? all[i - 1] : before, all[i]!)),
      reduction: {
        algorithm: 'sed-douglas-peucker',
        toleranceMetres: REPLAY_REDUCTION.toleranceMetres,
        maxPositions: REPLAY_REDUCTION.maxPositions,
        originalPositions: all.length,
        keptPositions: kept.length,
        maxErrorMetres: Math.round(maxErrorMetres * 100) / 100,
      },
    }
  }

  async function trips(name: string, range: Range, now: number): Promise<VehicleTrips> {
    const { trips } = await tripsAndStopsOf(name, range, now)
    return { name, from: iso(range.from), to: iso(range.to), rules, trips }
  }

  async function stops(name: string, range: Range, now: number): Promise<VehicleStops> {
    const { stops } = await tripsAndStopsOf(name, range, now)
    return { name, from: iso(range.from), to: iso(range.to), rules, stops }
  }

  /** A local day's driving and stopping, from its trips and stops cut at midnight. */
  async function summary(name: string, day: LocalDay, now: number): Promise<DailySummary> {
    // The day ends the millisecond before the next one begins: a position at midnight is the next day's.
    const range = { from: day.from, to: day.to - 1 }
    const { around, trips, stops } = await tripsAndStopsOf(name, range, now)
    const first = around.findIndex((p) => p.time >= range.from)
    const last = around.findLastIndex((p) => p.time <= range.to)
    const inDay = first >= 0 && last >= first
    const previous = first === 0 ? await repository.positionBefore(name, new Date(range.from)) : undefined
    const reachedFrom = (i: number) => (i > 0 ? around[i - 1] : previous)
    return {
      name,
      date: day.date,
      timeZone: day.timeZone,
      from: iso(day.from),
      to: iso(day.to),
      rules,
      distanceMetres: Math.round(trips.reduce((sum, t) => sum + t.distanceMetres, 0) * 10) / 10,
      drivingSeconds: seconds(trips.reduce((sum, t) => sum + t.durationSeconds, 0)),
      stoppedSeconds: seconds(stops.reduce((sum, s) => sum + s.durationSeconds, 0)),
      trips: trips.length,
      stops: stops.length,
      maxSpeedKmh: Math.max(0, ...trips.map((t) => t.maxSpeedKmh)),
      firstPosition: inDay ? toPosition(reachedFrom(first), around[first]!) : null,
      lastPosition: inDay ? toPosition(reachedFrom(last), around[last]!) : null,
    }
  }

  return { replay, trips, stops, summary }
}

export type DerivedReads = ReturnType<typeof derivedReads>
