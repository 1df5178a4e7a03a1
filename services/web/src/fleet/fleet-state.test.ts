import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FleetState, type FleetChange } from './fleet-state.ts'
import type { Vehicle } from '../shared/types.ts'

const at = (name: string, second: number, lat = 53): Vehicle => ({
  name,
  lat,
  lng: -1.5,
  speedKmh: 30,
  heading: 0,
  timestamp: new Date(Date.UTC(2024, 4, 1, 12, 0, second)).toISOString(),
})

function recording(fleet: FleetState): FleetChange[] {
  const changes: FleetChange[] = []
  fleet.subscribe((change) => changes.push(change))
  return changes
}

test('live frames add and move vehicles; older states are ignored', () => {
  const fleet = new FleetState()
  const changes = recording(fleet)
  fleet.update([at('A', 1), at('B', 1)])
  fleet.update([at('A', 3, 54)])
  fleet.update([at('A', 2, 55), at('B', 1)])
  assert.equal(fleet.size, 2)
  assert.equal(fleet.get('A')?.lat, 54)
  assert.deepEqual(
    changes.map((change) => change.changed.map((vehicle) => vehicle.name)),
    [['A', 'B'], ['A']],
    'a frame that changes nothing is not announced',
  )
})

test('a snapshot removes vehicles it lacks, but not ones a frame reported after it was requested', () => {
  const fleet = new FleetState()
  fleet.update([at('Old', 1), at('Kept', 1)], 1_000)
  fleet.update([at('New', 5)], 3_000)
  const changes = recording(fleet)
  fleet.replaceAll([at('Kept', 2)], 2_000, 4_000)
  assert.deepEqual([...fleet.names()].sort(), ['Kept', 'New'])
  assert.deepEqual(changes, [{ changed: [at('Kept', 2)], removed: ['Old'] }])
})

test('a snapshot older than what the feed already delivered does not move vehicles back', () => {
  const fleet = new FleetState()
  fleet.update([at('A', 10, 54)], 5_000)
  fleet.replaceAll([at('A', 9, 53)], 4_000, 6_000)
  assert.equal(fleet.get('A')?.lat, 54)
})

test('unsubscribe stops notifications', () => {
  const fleet = new FleetState()
  let calls = 0
  const unsubscribe = fleet.subscribe(() => calls++)
  fleet.update([at('A', 1)])
  unsubscribe()
  fleet.update([at('A', 2)])
  assert.equal(calls, 1)
})

test('the membership changes when vehicles come or go, not when they move', () => {
  const fleet = new FleetState()
  const memberships = [fleet.membership]
  const note = () => memberships.push(fleet.membership)
  fleet.update([at('A', 1), at('B', 1)])
  note()
  fleet.update([at('A', 2, 54)])
  note()
  // One gone, one come: as many vehicles as before, but not the same ones.
  fleet.replaceAll([at('A', 3), at('C', 3)], Date.now() + 1_000)
  note()
  fleet.replaceAll([at('A', 4), at('C', 4)], Date.now() + 1_000)
  note()
  const [empty, added, moved, swapped, same] = memberships
  assert.notEqual(added, empty)
  assert.equal(moved, added)
  assert.notEqual(swapped, moved)
  assert.equal(same, swapped)
  assert.deepEqual([...fleet.names()].sort(), ['A', 'C'])
})
