import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InitialView, type LatLngPair } from './initial-view.ts'
import type { Bounds } from '../shared/types.ts'

const HOME: Bounds = [
  [53.3, -1.57],
  [53.41, -1.39],
]
const vehicles = [
  { lat: 53.35, lng: -1.5 },
  { lat: 51.5, lng: -0.1 },
]
const EVERY_VEHICLE: LatLngPair[] = [
  [53.35, -1.5],
  [51.5, -0.1],
]

function recording() {
  const fits: LatLngPair[][] = []
  return { view: new InitialView((points) => fits.push(points)), fits }
}

test('fits to every vehicle of the first snapshot, whether the road drawing comes first or not', () => {
  const roadsFirst = recording()
  roadsFirst.view.roadsLoaded(HOME)
  roadsFirst.view.snapshotLoaded(vehicles)
  assert.deepEqual(roadsFirst.fits, [HOME, EVERY_VEHICLE], 'the tracks while waiting, then the vehicles')
  assert.equal(roadsFirst.view.chosen, true)

  const snapshotFirst = recording()
  snapshotFirst.view.snapshotLoaded(vehicles)
  snapshotFirst.view.roadsLoaded(HOME)
  assert.deepEqual(snapshotFirst.fits, [EVERY_VEHICLE], 'the drawing comes too late to move the map')
})

test('an empty snapshot chooses nothing; the first with vehicles does, and later ones never', () => {
  const { view, fits } = recording()
  view.snapshotLoaded([])
  assert.deepEqual(fits, [], 'an empty snapshot has nothing to show')
  assert.equal(view.chosen, false)
  view.snapshotLoaded(vehicles)
  view.snapshotLoaded([{ lat: 0, lng: 0 }])
  assert.deepEqual(fits, [EVERY_VEHICLE])
})

test('never moves a map the user has already moved', () => {
  const { view, fits } = recording()
  view.userMoved()
  view.roadsLoaded(HOME)
  view.snapshotLoaded(vehicles)
  assert.deepEqual(fits, [])
})
