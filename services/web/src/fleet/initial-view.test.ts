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

function recording() {
  const fits: LatLngPair[][] = []
  return { view: new InitialView((points) => fits.push(points)), fits }
}

test('fits to the home of the road drawing, whether the snapshot comes first or not', () => {
  for (const snapshotFirst of [true, false]) {
    const { view, fits } = recording()
    if (snapshotFirst) view.snapshotLoaded(vehicles)
    view.roadsLoaded(HOME)
    if (!snapshotFirst) view.snapshotLoaded(vehicles)
    assert.deepEqual(fits, [HOME])
    assert.equal(view.chosen, true)
  }
})

test('without the road drawing, fits to the vehicles of the first snapshot, whenever it comes', () => {
  for (const snapshotFirst of [true, false]) {
    const { view, fits } = recording()
    if (snapshotFirst) view.snapshotLoaded(vehicles)
    view.roadsFailed()
    if (!snapshotFirst) {
      assert.deepEqual(fits, [], 'waits for the snapshot')
      view.snapshotLoaded([])
      assert.deepEqual(fits, [], 'an empty snapshot has nothing to show')
      view.snapshotLoaded(vehicles)
    }
    view.snapshotLoaded([{ lat: 0, lng: 0 }])
    assert.deepEqual(fits, [
      [
        [53.35, -1.5],
        [51.5, -0.1],
      ],
    ])
  }
})

test('never moves a map the user has already moved', () => {
  const { view, fits } = recording()
  view.userMoved()
  view.roadsLoaded(HOME)
  assert.deepEqual(fits, [])

  const other = recording()
  other.view.roadsFailed()
  other.view.userMoved()
  other.view.snapshotLoaded(vehicles)
  assert.deepEqual(other.fits, [])
})
