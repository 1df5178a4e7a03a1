import { parseTimestamp } from '@convoy/contracts'

/** A calendar day in a time zone, as instants: `from` its first, `to` the next day's first. */
export interface LocalDay {
  date: string
  /** The zone's canonical IANA name (`europe/london` is `Europe/London`). */
  timeZone: string
  from: number
  to: number
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
/** The most a zone's clock is ahead of or behind UTC (Kiribati +14, Baker Island −12), and then some. */
const WIDEST_OFFSET_MS = 15 * 3_600_000

/**
 * The local day `date` (YYYY-MM-DD) in `timeZone` (an IANA name, as `Intl` knows them), or why
 * not: a date that is no day of the calendar, or out of what the API's instants cover, or a zone
 * that is not known. The day runs from the first instant whose local date is `date` to the first
 * of the next day: 24 hours, 23 or 25 on the days clocks change, and from 01:00 where the clocks
 * skip midnight.
 */
export function localDay(date: string, timeZone: string): LocalDay | string {
  const match = DATE.exec(date)
  const midnight = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN
  if (!match || new Date(midnight).toISOString().slice(0, 10) !== date)
    return 'date must be a day, YYYY-MM-DD'
  if (parseTimestamp(`${date}T00:00:00Z`) === null || parseTimestamp(`${date}T23:59:59Z`) === null)
    return 'date must be a day between 1970 and 9999'
  let clock: Intl.DateTimeFormat
  try {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      ...{
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      },
    })
  } catch {
    return `timeZone must be an IANA time zone such as Europe/London, not ${JSON.stringify(timeZone)}`
  }
  return {
    date,
    timeZone: clock.resolvedOptions().timeZone,
    from: firstInstantAt(clock, midnight),
    to: firstInstantAt(clock, midnight + 86_400_000),
  }
}

/**
 * The first instant at which the zone's clock reads `wallTime` (a local date and time written
 * as if it were UTC) or later: a binary search over the widest offsets, to the millisecond.
 */
function firstInstantAt(clock: Intl.DateTimeFormat, wallTime: number): number {
  let low = wallTime - WIDEST_OFFSET_MS
  let high = wallTime + WIDEST_OFFSET_MS
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if (localWallTime(clock, mid) >= wallTime) high = mid
    else low = mid + 1
  }
  return low
}

/** What the zone's clock reads at `instant`, to the second, written as if it were UTC. */
function localWallTime(clock: Intl.DateTimeFormat, instant: number): number {
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {}
  for (const { type, value } of clock.formatToParts(instant)) part[type] = Number(value)
  return Date.UTC(part.year!, part.month! - 1, part.day, part.hour, part.minute, part.second)
}
