import assert from 'node:assert/strict'
import { test } from 'node:test'
import { journey } from './testing.ts'
import { marginMs, TRIP_RULES, tripsAndStops } from './trips.ts'

const START = Date.UTC(2026, 2, 2, 8)
const ORIGIN = { lat: 53.38, lng: -1.47, time: START }
const MINUTE = 60_000
const iso = (ms: number) => new Date(ms).toISOString()
/** How far a stop's ends may lie from where the vehicle really halted: its radius, at 36 km/h. */
const EDGE_MS = (TRIP_RULES.stopRadiusMetres / 10) * 1000

/** 10 minutes north at 36 km/h, 10 minutes stopped, 10 minutes east: a delivery. */
const delivery = () =>
  journey(ORIGIN, [
    { drive: 600, kmh: 36, heading: 0 },
    { halt: 600, jitterMetres: 3 },
    { drive: 600, kmh: 36, heading: 90 },
  ])
const whole = { from: START, to: START + 30 * MINUTE, now: START + 60 * MINUTE }

const near = (actual: string | null | undefined, expected: number, what: string) =>
  assert.ok(
    actual && Math.abs(Date.parse(actual) - expected) <= EDGE_MS,
    `${what}: ${actual} is not within ${EDGE_MS} ms of ${iso(expected)}`,
  )

test('drive, stop 10 minutes, drive again: two trips and one stop between them', () => {
  const { trips, stops } = tripsAndStops(delivery(), whole)
  assert.equal(trips.length, 2)
  assert.equal(stops.length, 1)
  const [first, second] = trips as [(typeof trips)[0], (typeof trips)[0]]
  const [stop] = stops as [(typeof stops)[0]]

  assert.equal(first.start.timestamp, iso(START))
  near(first.end.timestamp, START + 10 * MINUTE, 'arrival')
  assert.equal(stop.arrival, first.end.timestamp, 'the stop begins where the trip ends')
  near(stop.departure, START + 20 * MINUTE, 'departure')
  assert.equal(second.start.timestamp, stop.departure, 'the next trip begins where the stop ends')
  assert.equal(second.end.timestamp, iso(START + 30 * MINUTE))

  for (const trip of trips) {
    assert.ok(trip.distanceMetres > 5900 && trip.distanceMetres <= 6000, `${trip.distanceMetres} m`)
    assert.ok(Math.abs(trip.maxSpeedKmh - 36) < 0.2 && Math.abs(trip.averageSpeedKmh - 36) < 0.2)
    assert.ok(trip.durationSeconds > 590 && trip.durationSeconds <= 600)
    assert.deepEqual([trip.startsBefore, trip.endsAfter], [false, false])
  }
  assert.ok(stop.durationSeconds >= 600 && stop.durationSeconds <= 610, `${stop.durationSeconds} s`)
  const metresFromStop = (stop.lat - ORIGIN.lat) * 111_195
  assert.ok(Math.abs(metresFromStop - 6000) < 2, 'the place is where it stood')
  assert.deepEqual([stop.startsBefore, stop.endsAfter], [false, false])
})

test('a range that starts during the stop: the stop arrives at from, and the first trip is not in it', () => {
  const from = START + 15 * MINUTE
  const { trips, stops } = tripsAndStops(delivery(), { ...whole, from })
  assert.equal(trips.length, 1)
  assert.equal(stops.length, 1)
  assert.equal(stops[0]!.arrival, iso(from))
  assert.equal(stops[0]!.startsBefore, true)
  near(stops[0]!.departure, START + 20 * MINUTE, 'departure')
  assert.ok(Math.abs(stops[0]!.durationSeconds - 300) <= EDGE_MS / 1000)
})

test('a range that ends during the stop: no departure, and the stop lasts until to', () => {
  const to = START + 15 * MINUTE
  const { trips, stops } = tripsAndStops(delivery(), { ...whole, to })
  assert.equal(trips.length, 1)
  assert.deepEqual([stops[0]!.departure, stops[0]!.endsAfter], [null, true])
  assert.ok(Math.abs(stops[0]!.durationSeconds - 300) <= EDGE_MS / 1000)
})

test('a range that ends during a trip cuts it at its last position in the range', () => {
  const to = START + 25 * MINUTE
  const { trips } = tripsAndStops(delivery(), { ...whole, to })
  assert.equal(trips.length, 2)
  assert.equal(trips[1]!.end.timestamp, iso(to))
  assert.equal(trips[1]!.endsAfter, true)
  const from = START + 5 * MINUTE
  const cut = tripsAndStops(delivery(), { ...whole, from }).trips[0]!
  assert.deepEqual([cut.start.timestamp, cut.startsBefore], [iso(from), true])
  assert.ok(Math.abs(cut.distanceMetres - 3000) <= 50)
})

test('a trip whose last report is recent is still under way; a silence longer than the gap ended it', () => {
  const positions = delivery()
  const end = START + 30 * MINUTE
  assert.equal(tripsAndStops(positions, { ...whole, now: end + MINUTE }).trips[1]!.endsAfter, true)
  assert.equal(tripsAndStops(positions, { ...whole, now: end + 6 * MINUTE }).trips[1]!.endsAfter, false)
})

test('a gap in the reports longer than 5 minutes ends a trip, and is no stop', () => {
  const positions = journey(ORIGIN, [
    { drive: 300, kmh: 36, heading: 0 },
    { silence: 600 },
    ...[{ drive: 1, kmh: 36 * 300, heading: 0 }], // it drove on meanwhile: 3 km further on
    { drive: 300, kmh: 36, heading: 0 },
  ])
  const { trips, stops } = tripsAndStops(positions, { ...whole, to: START + 40 * MINUTE })
  assert.equal(stops.length, 0)
  assert.deepEqual(
    trips.map((trip) => [trip.start.timestamp, trip.end.timestamp]),
    [
      [iso(START), iso(START + 5 * MINUTE)],
      [iso(START + 15 * MINUTE + 1000), iso(START + 20 * MINUTE + 1000)],
    ],
  )
})

test('a tracker that goes quiet while parked is stopped through its silence', () => {
  const positions = journey(ORIGIN, [
    { drive: 300, kmh: 36, heading: 0 },
    { halt: 60 },
    { silence: 3600 },
    { halt: 60 },
    { drive: 300, kmh: 36, heading: 180 },
  ])
  const { trips, stops } = tripsAndStops(positions, { ...whole, to: START + 2 * 60 * MINUTE })
  assert.equal(trips.length, 2)
  assert.equal(stops.length, 1)
  assert.ok(stops[0]!.durationSeconds >= 3720, `${stops[0]!.durationSeconds} s`)
})

test('a stop that is the last thing known has no departure', () => {
  const positions = journey(ORIGIN, [{ drive: 300, kmh: 36, heading: 0 }, { halt: 600 }])
  const { stops } = tripsAndStops(positions, { ...whole, to: START + 3 * 60 * MINUTE })
  assert.equal(stops.length, 1)
  assert.deepEqual([stops[0]!.departure, stops[0]!.endsAfter], [null, true])
  assert.ok(stops[0]!.durationSeconds <= 610, 'it lasts as long as it was seen, not until to')
})

test('waiting 2 minutes at traffic lights is no stop', () => {
  const positions = journey(ORIGIN, [
    { drive: 300, kmh: 36, heading: 0 },
    { halt: 120, jitterMetres: 3 },
    { drive: 300, kmh: 36, heading: 0 },
  ])
  const { trips, stops } = tripsAndStops(positions, whole)
  assert.equal(stops.length, 0)
  assert.equal(trips.length, 1)
  assert.equal(trips[0]!.durationSeconds, 720)
})

test('the margin read around a range covers a stop and a gap', () => {
  assert.equal(marginMs(TRIP_RULES), 5 * MINUTE)
  assert.equal(marginMs({ ...TRIP_RULES, maxGapSeconds: 900 }), 15 * MINUTE)
})

test('no positions, no trips and no stops', () => {
  assert.deepEqual(tripsAndStops([], whole), { trips: [], stops: [] })
})
