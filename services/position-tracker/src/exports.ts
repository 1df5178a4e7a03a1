/**
 * The tracker's downloads: trips and stops as CSV, a replay as GPX, and the names they are saved
 * under.
 */
import type { VehicleReplay, VehicleStops, VehicleTrips } from '@convoy/contracts'
import { csv } from './csv.ts'

export const TRIPS_CSV_HEADER = [
  'vehicle',
  'start',
  'startLat',
  'startLng',
  'end',
  'endLat',
  'endLng',
  'distanceMetres',
  'durationSeconds',
  'maxSpeedKmh',
  'averageSpeedKmh',
  'startsBefore',
  'endsAfter',
] as const

/** One row per trip, the columns of {@link TRIPS_CSV_HEADER}: the `Trip` contract, flattened. */
export const tripsCsv = ({ name, trips }: VehicleTrips) =>
  csv(
    TRIPS_CSV_HEADER,
    trips.map((t) => [
      name,
      t.start.timestamp,
      t.start.lat,
      t.start.lng,
      t.end.timestamp,
      t.end.lat,
      t.end.lng,
      t.distanceMetres,
      t.durationSeconds,
      t.maxSpeedKmh,
      t.averageSpeedKmh,
      t.startsBefore,
      t.endsAfter,
    ]),
  )

export const STOPS_CSV_HEADER = [
  'vehicle',
  'lat',
  'lng',
  'arrival',
  'departure',
  'durationSeconds',
  'startsBefore',
  'endsAfter',
] as const

/** One row per stop, the columns of {@link STOPS_CSV_HEADER}; no departure is an empty cell. */
export const stopsCsv = ({ name, stops }: VehicleStops) =>
  csv(
    STOPS_CSV_HEADER,
    stops.map((s) => [
      name,
      s.lat,
      s.lng,
      s.arrival,
      s.departure,
      s.durationSeconds,
      s.startsBefore,
      s.endsAfter,
    ]),
  )

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

/**
 * Text as XML 1.0 holds it, in an element or an attribute: its five special characters escaped,
 * and what XML cannot hold at all (U+FFFE, U+FFFF, a lone surrogate; the control characters a
 * vehicle name never has) as U+FFFD.
 */
export function xmlText(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
}

/** A number as GPX's `xsd:decimal` takes it: never in exponent form (`1e-7` is `0.0000001`). */
const decimal = (n: number) => {
  const text = String(n)
  return text.includes('e') ? n.toFixed(20).replace(/\.?0+$/, '') : text
}

/**
 * A replay as GPX 1.1: one track named after the vehicle, one segment, a `trkpt` per kept
 * position with its time; the description says how it was reduced. (GPX 1.1 has no speed.)
 */
export function replayGpx(replay: VehicleReplay): string {
  const { reduction } = replay
  const description =
    `${replay.from} to ${replay.to}: ${reduction.keptPositions} of ${reduction.originalPositions} positions, ` +
    `the others within ${reduction.maxErrorMetres.toFixed(1)} m of where these put the vehicle at their time (${reduction.algorithm})`
  const points = replay.positions.map(
    (p) =>
      `      <trkpt lat="${decimal(p.lat)}" lon="${decimal(p.lng)}"><time>${p.timestamp}</time></trkpt>\n`,
  )
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<gpx version="1.1" creator="Convoy" xmlns="http://www.topografix.com/GPX/1/1">\n' +
    '  <trk>\n' +
    `    <name>${xmlText(replay.name)}</name>\n` +
    `    <desc>${xmlText(description)}</desc>\n` +
    '    <trkseg>\n' +
    points.join('') +
    '    </trkseg>\n' +
    '  </trk>\n' +
    '</gpx>\n'
  )
}

/**
 * What no file system takes in a name (Windows is the strictest), as `_`; a vehicle's name never
 * holds a control character (the contract refuses them).
 */
const NOT_IN_FILE_NAMES = /[\\/:*?"<>|]/g

/**
 * `<vehicle> <what> <from>-<to>.<extension>`, the instants in ISO 8601's basic format (no colons):
 * `City Truck trips 20260301T080000Z-20260301T090000Z.csv`. A vehicle's name may hold any
 * printable character; those no file system takes become `_`, the rest stay (the header's
 * `filename*` carries them).
 */
export function downloadName(
  name: string,
  what: string,
  from: string,
  to: string,
  extension: string,
): string {
  const instant = (iso: string) => iso.replace(/\.\d+/, '').replace(/[-:]/g, '')
  const vehicle = name.replace(NOT_IN_FILE_NAMES, '_').replace(/^[\s.]+|[\s.]+$/g, '') || 'vehicle'
  return `${vehicle} ${what} ${instant(from)}-${instant(to)}.${extension}`
}
