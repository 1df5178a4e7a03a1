import type { Preferences } from '@convoy/contracts'
import { ageOf, formatAgo, formatWhen } from './relative-time.ts'

/** Miles are 1.609344 km, exactly. */
const KM_PER_MILE = 1.609344

/**
 * How the signed-in user wants figures and times shown (their preferences, kept by the server):
 * speeds in km/h or mph, clock times in their time zone and 12 or 24 hours, and, if they asked,
 * the clock time beside every relative one ("4 min ago · 14:32").
 */
export interface Display {
  speedUnit: 'km/h' | 'mph'
  /** A speed given in km/h, rounded, in the user's unit. */
  speed(kmh: number): number
  /** A distance given in metres, in the user's unit: "42.1 km", "850 m", "26.2 mi". */
  distance(metres: number): string
  /** The clock time of a moment ("14:32", "2:32 PM"). */
  clock(timestamp: string | number): string
  /** The full date and time, for tooltips ("5 Dec 2026, 14:32:05"). */
  dateTime(timestamp: string | number): string
  /** How long ago: "now", "4 min ago" — with the clock time beside it when asked for. */
  ago(timestamp: string, now: number): string
  /** When something that lasts happened: "just now", "4 min ago", "1 Mar" — with the clock time when asked for. */
  when(timestamp: string, now: number): string
}

/** The display of `preferences`; `locale` is the browser's (tests give one). */
export function createDisplay(preferences: Preferences, locale?: string): Display {
  const timeZone = preferences.timeZone ?? undefined
  const hourCycle = preferences.clock === '12h' ? 'h12' : preferences.clock === '24h' ? 'h23' : undefined
  // "09:28" on a 24-hour clock, "9:28 am" on a 12-hour one.
  const hour = preferences.clock === '24h' ? '2-digit' : 'numeric'
  const clock = new Intl.DateTimeFormat(locale, { hour, minute: '2-digit', timeZone, hourCycle })
  const full = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour,
    minute: '2-digit',
    second: '2-digit',
    timeZone,
    hourCycle,
  })
  const imperial = preferences.units === 'imperial'
  const withClock = (text: string, timestamp: string) => {
    const time = Date.parse(timestamp)
    return preferences.absoluteTime && text !== '' && Number.isFinite(time)
      ? `${text} · ${clock.format(time)}`
      : text
  }
  return {
    speedUnit: imperial ? 'mph' : 'km/h',
    speed: (kmh) => Math.round(imperial ? kmh / KM_PER_MILE : kmh),
    distance: (metres) => {
      if (imperial) return `${(metres / 1000 / KM_PER_MILE).toFixed(1)} mi`
      return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`
    },
    clock: (timestamp) => clock.format(new Date(timestamp)),
    dateTime: (timestamp) => full.format(new Date(timestamp)),
    ago: (timestamp, now) => withClock(formatAgo(ageOf(timestamp, now)), timestamp),
    when: (timestamp, now) => withClock(formatWhen(timestamp, now, timeZone), timestamp),
  }
}

/** A duration for people: "45 s", "12 min", "1 h 12 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const rest = minutes % 60
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`
}
