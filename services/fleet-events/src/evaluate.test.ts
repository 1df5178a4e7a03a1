import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FleetEvent, FleetRules } from '@convoy/contracts'
import type { TimedPoint } from '@convoy/geo'
import { evaluate, signalLost, type Fence, type VehicleState } from './evaluate.ts'
import { containment } from './geometry.ts'

const T0 = Date.parse('2026-01-01T12:00:00.000Z')
/** Degrees of latitude in one metre. */
const METRE = 1 / 111_195
const RULES: FleetRules = {
  overspeed: { limitKmh: 80, forSeconds: 10 },
  stopped: { forMinutes: 2 },
  noSignal: null,
}
const depot: Fence = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'Depot',
  contains: containment({ type: 'circle', center: { lat: 53.38, lng: -1.47 }, radiusMetres: 105 }),
}

/** Runs `positions` through evaluation from no state; the events, and the state left. */
function drive(positions: TimedPoint[], rules = RULES, fences: Fence[] = [depot], from?: VehicleState) {
  let state = from
  const events: FleetEvent[] = []
  for (const position of positions) {
    const result = evaluate('Van', state, position, rules, fences)
    if (!result) continue
    state = result.state
    events.push(...result.events)
  }
  return { events, state: state! }
}

/** A position every second, `metresPerSecond` further north each time, from 300 m south of the depot. */
const northwards = (seconds: number, metresPerSecond: number, start = T0) =>
  Array.from({ length: seconds + 1 }, (_, i) => ({
    lat: 53.38 + (i * metresPerSecond - 300) * METRE,
    lng: -1.47,
    time: start + i * 1000,
  }))

test('driving through a geofence enters it once and leaves it once, at the first position in and out', () => {
  // 10 m/s (36 km/h) for 60 s: from 300 m south to 300 m north; inside from -100 m to +100 m.
  const { events } = drive(northwards(60, 10))
  assert.deepEqual(
    events.map((e) => [e.kind, e.geofence?.name, e.time]),
    [
      ['geofence.entered', 'Depot', new Date(T0 + 20_000).toISOString()],
      ['geofence.exited', 'Depot', new Date(T0 + 41_000).toISOString()],
    ],
  )
})

test('a vehicle whose first position is inside enters at once', () => {
  const { events } = drive([{ lat: 53.38, lng: -1.47, time: T0 }])
  assert.deepEqual(
    events.map((e) => e.kind),
    ['geofence.entered'],
  )
})

test('a position no newer than the state changes nothing: late, repeated or redelivered', () => {
  const { state } = drive(northwards(25, 10))
  assert.equal(evaluate('Van', state, state.position, RULES, [depot]), undefined)
  assert.equal(evaluate('Van', state, { lat: 0, lng: 0, time: T0 }, RULES, [depot]), undefined)
})

test('a geofence deleted while a vehicle is inside leaves it without an exit', () => {
  const inside = drive(northwards(25, 10)).state
  assert.deepEqual(inside.inside, [depot.id])
  const { events, state } = drive(
    [{ lat: 10, lng: 10, time: T0 + 3_600_000 }],
    { ...RULES, overspeed: null },
    [],
    inside,
  )
  assert.deepEqual(events, [])
  assert.deepEqual(state.inside, [])
})

test('overspeed fires once per episode, when it has lasted the rule’s seconds, with the speed and since', () => {
  // 100 km/h is 27.78 m/s: 20 s fast, 10 s at 36 km/h, 20 s fast again.
  const fast = 100 / 3.6
  const first = northwards(20, fast)
  const slow = northwards(10, 10, T0 + 21_000).map((p) => ({ ...p, lat: p.lat + 21 * fast * METRE }))
  const second = northwards(20, fast, T0 + 32_000).map((p) => ({
    ...p,
    lat: p.lat + (21 * fast + 110) * METRE,
  }))
  const { events } = drive([...first, ...slow, ...second], RULES, [])
  const overspeed = events.filter((e) => e.kind === 'overspeed')
  assert.equal(overspeed.length, 2)
  const [one, two] = overspeed
  // The episode starts at the position before the first fast one: 10 s later it fires.
  assert.equal(one!.time, new Date(T0 + 10_000).toISOString())
  assert.deepEqual(one!.details, {
    speedKmh: 100,
    limitKmh: 80,
    forSeconds: 10,
    since: new Date(T0).toISOString(),
  })
  // The second: fast from the position at 32 s on, so it fires at 42 s.
  assert.equal(two!.time, new Date(T0 + 42_000).toISOString())
  assert.notEqual(one!.id, two!.id)
})

test('overspeed shorter than the rule’s seconds fires nothing; no rule, nothing', () => {
  assert.deepEqual(drive(northwards(9, 100 / 3.6), RULES, []).events, [])
  assert.deepEqual(drive(northwards(60, 100 / 3.6), { ...RULES, overspeed: null }, []).events, [])
})

test('standing still fires stopped once, when the stop has lasted the rule’s minutes', () => {
  // Standing at one place, a position every 10 s for 5 minutes.
  const still = Array.from({ length: 31 }, (_, i) => ({ lat: 53.3, lng: -1.4, time: T0 + i * 10_000 }))
  const { events, state } = drive(still, RULES, [])
  assert.deepEqual(
    events.map((e) => [e.kind, e.time, e.details]),
    [['stopped', new Date(T0 + 120_000).toISOString(), { forMinutes: 2, since: new Date(T0).toISOString() }]],
  )
  // Moving off ends the stop; a new one fires again.
  const off = drive(northwards(5, 10, T0 + 301_000), RULES, [], state)
  assert.equal(off.state.stopped, null)
})

test('every event of the same thing has the same id; another vehicle, geofence or time, another id', () => {
  const once = drive(northwards(60, 10)).events
  const again = drive(northwards(60, 10)).events
  assert.deepEqual(
    once.map((e) => e.id),
    again.map((e) => e.id),
  )
  assert.notEqual(once[0]!.id, once[1]!.id)
  const lost = signalLost('Van', { lat: 53.38, lng: -1.47, time: T0 }, 5)
  assert.equal(lost.id, signalLost('Van', { lat: 53.38, lng: -1.47, time: T0 }, 5).id)
  assert.notEqual(lost.id, signalLost('Van 2', { lat: 53.38, lng: -1.47, time: T0 }, 5).id)
  assert.deepEqual(lost, {
    version: 1,
    id: lost.id,
    kind: 'signal.lost',
    vehicleName: 'Van',
    time: new Date(T0 + 300_000).toISOString(),
    lat: 53.38,
    lng: -1.47,
    geofence: null,
    details: { forMinutes: 5, lastSeen: new Date(T0).toISOString() },
  })
})
