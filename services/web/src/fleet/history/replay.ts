import type { Position } from '../../shared/types.ts'

/** The ranges a dispatcher picks most: the last hour, today and yesterday in their time zone, or their own. */
export type Preset = 'hour' | 'today' | 'yesterday' | 'custom'

/** A position at a moment of a replay, between two kept positions. */
export interface Cursor {
  lat: number
  lng: number
  speedKmh: number
  time: number
}

/**
 * Where the vehicle was at `time`, moving uniformly between the two positions around it — the same
 * assumption the server's reduction makes (synchronised distance), so the replay is as faithful as
 * its tolerance. Before the first position it is there; after the last, there.
 */
export function positionAt(
  positions: readonly Position[],
  times: readonly number[],
  time: number,
): Cursor | null {
  if (positions.length === 0) return null
  // The first position at or after `time`.
  let low = 0
  let high = times.length - 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if (times[middle]! < time) low = middle + 1
    else high = middle
  }
  const after = positions[low]!
  const afterTime = times[low]!
  if (low === 0 || afterTime <= time)
    return {
      lat: after.lat,
      lng: after.lng,
      speedKmh: after.speedKmh,
      time: afterTime <= time ? time : afterTime,
    }
  const before = positions[low - 1]!
  const beforeTime = times[low - 1]!
  const share = (time - beforeTime) / (afterTime - beforeTime)
  return {
    lat: before.lat + (after.lat - before.lat) * share,
    lng: before.lng + (after.lng - before.lng) * share,
    // The speed it drove at to reach the next position.
    speedKmh: after.speedKmh,
    time,
  }
}

/** Speed bands of the route's colours, in km/h: crawling, town, road, fast road, motorway. */
export const SPEED_BANDS: ReadonlyArray<{ below: number; colour: string }> = [
  { below: 10, colour: '#94a3b8' },
  { below: 30, colour: '#f59e0b' },
  { below: 60, colour: '#22c55e' },
  { below: 90, colour: '#3b82f6' },
  { below: Infinity, colour: '#a855f7' },
]

export const bandOf = (speedKmh: number): number => SPEED_BANDS.findIndex((band) => speedKmh < band.below)

/**
 * The route cut into runs of one speed band, for drawing each run in its colour: a run holds the
 * positions of its stretches, the one it starts from included, so the runs meet.
 */
export function speedRuns(
  positions: readonly Position[],
): Array<{ band: number; points: Array<[number, number]> }> {
  const runs: Array<{ band: number; points: Array<[number, number]> }> = []
  for (let i = 1; i < positions.length; i++) {
    const from = positions[i - 1]!
    const to = positions[i]!
    // A stretch is coloured by the speed it was driven at: the speed of the position it reaches.
    const band = bandOf(to.speedKmh)
    const last = runs.at(-1)
    if (last && last.band === band) last.points.push([to.lat, to.lng])
    else
      runs.push({
        band,
        points: [
          [from.lat, from.lng],
          [to.lat, to.lng],
        ],
      })
  }
  return runs
}

/**
 * The instant a wall-clock time (`2026-12-05T08:30`, as a datetime-local field gives it) names in
 * `timeZone`: its offset there, found from the offset of a first guess and checked once (so a
 * time a clock change skipped lands just after it).
 */
export function zonedTime(wall: string, timeZone: string): number {
  const asUtc = Date.parse(`${wall}Z`)
  if (Number.isNaN(asUtc)) return NaN
  const first = asUtc - offsetAt(asUtc, timeZone)
  return asUtc - offsetAt(first, timeZone)
}

/** The wall-clock time of `time` in `timeZone`, as a datetime-local field takes it (`2026-12-05T08:30`). */
export function wallTime(time: number, timeZone: string): string {
  return new Date(time + offsetAt(time, timeZone)).toISOString().slice(0, 16)
}

/** The local date of `time` in `timeZone`: `2026-12-05`. */
export function localDate(time: number, timeZone: string): string {
  return wallTime(time, timeZone).slice(0, 10)
}

/** How far `timeZone`'s clocks are ahead of UTC at `time`, in ms. */
function offsetAt(time: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(time)
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((each) => each.type === type)?.value)
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  )
  return wall - Math.floor(time / 1000) * 1000
}
