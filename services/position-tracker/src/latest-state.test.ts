import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decidingPositions, latestState } from './latest-state.ts'

const NORTH_100M = 100 / 111_195
/** A position `steps` × 100 m north of 53°N 1.5°W, `seconds` after noon. */
const at = (seconds: number, steps: number) => ({
  lat: 53 + steps * NORTH_100M,
  lng: -1.5,
  time: (43_200 + seconds) * 1000,
})
const noon = (seconds: number) => new Date((43_200 + seconds) * 1000).toISOString()

test("a new vehicle's first report: where it is, standing, heading 0", () => {
  const { positions, late } = decidingPositions(undefined, [at(0, 0)])
  assert.equal(late, false)
  assert.deepEqual(latestState('Van', positions, 0), {
    name: 'Van',
    lat: 53,
    lng: -1.5,
    speedKmh: 0,
    heading: 0,
    timestamp: noon(0),
  })
})

test('a newer report moves on from the stored position: 100 m north in 10 s is 36 km/h, heading 0', () => {
  const { positions, late } = decidingPositions({ position: at(0, 0), heading: 90 }, [at(10, 1)])
  assert.equal(late, false)
  assert.deepEqual(latestState('Van', positions, 90), {
    name: 'Van',
    lat: 53 + NORTH_100M,
    lng: -1.5,
    speedKmh: 36,
    heading: 0,
    timestamp: noon(10),
  })
})

test('a batch of reports in any order: the two newest decide', () => {
  const { positions } = decidingPositions({ position: at(0, 0), heading: 0 }, [
    at(30, 2),
    at(10, 1),
    at(20, 1),
  ])
  const state = latestState('Van', positions, 0)
  assert.deepEqual([state.speedKmh, state.timestamp], [36, noon(30)], '100 m north between 20 s and 30 s')
})

test('reports no newer than the stored position are late: the history decides', () => {
  assert.equal(decidingPositions({ position: at(20, 2), heading: 0 }, [at(10, 1)]).late, true)
  assert.equal(decidingPositions({ position: at(20, 2), heading: 0 }, [at(20, 2)]).late, true, 'a redelivery')
  assert.equal(decidingPositions({ position: at(20, 2), heading: 0 }, [at(10, 1), at(30, 3)]).late, false)
})

test('standing still keeps the heading it had; a second report at the same instant is no motion', () => {
  assert.equal(latestState('Van', [at(0, 1), at(10, 1)], 135).heading, 135)
  const same = latestState('Van', [at(10, 0), at(10, 5)], 45)
  assert.deepEqual([same.speedKmh, same.heading], [0, 45])
})
