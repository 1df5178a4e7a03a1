import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FleetState } from './fleet-state.ts'
import { snapshotLoader } from './snapshot.ts'
import type { Vehicle } from '../shared/types.ts'

const van: Vehicle = {
  name: 'Van',
  lat: 1,
  lng: 2,
  speedKmh: 3,
  heading: 4,
  timestamp: '2024-05-01T12:00:00Z',
}

test('loads the snapshot into the fleet, retrying with backoff until it succeeds', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  t.mock.method(console, 'warn', () => undefined)
  const fleet = new FleetState()
  const loaded: Vehicle[][] = []
  let calls = 0
  const load = snapshotLoader(
    fleet,
    async () => {
      calls++
      if (calls < 3) throw new Error('503 tracker unavailable')
      return [van]
    },
    { delay: (attempt) => 500 * 2 ** attempt, onLoaded: (snapshot) => loaded.push(snapshot) },
  )
  load()
  await flush()
  assert.equal(calls, 1)
  t.mock.timers.tick(500)
  await flush()
  assert.equal(calls, 2)
  t.mock.timers.tick(999)
  await flush()
  assert.equal(calls, 2, 'the second retry waits longer')
  t.mock.timers.tick(1)
  await flush()
  assert.equal(calls, 3)
  assert.deepEqual(fleet.get('Van'), van)
  assert.deepEqual(loaded, [[van]], 'reported once, when applied')
})

test('a newer load cancels the one in flight, even when the older answer arrives last', async () => {
  const fleet = new FleetState()
  const loaded: Vehicle[][] = []
  const requests: Array<{ signal: AbortSignal; resolve: (vehicles: Vehicle[]) => void }> = []
  const load = snapshotLoader(
    fleet,
    (signal) => new Promise((resolve) => requests.push({ signal, resolve })),
    { onLoaded: (snapshot) => loaded.push(snapshot) },
  )
  load()
  load()
  const [first, second] = requests
  assert.ok(first && second)
  assert.equal(first.signal.aborted, true)
  assert.equal(second.signal.aborted, false)
  second.resolve([van])
  await flush()
  first.resolve([])
  await flush()
  assert.equal(fleet.size, 1, 'the stale empty answer did not empty the fleet')
  assert.deepEqual(loaded, [[van]])
})

test('cancel stops the load in flight and its retries (signed out)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  t.mock.method(console, 'warn', () => undefined)
  const signals: AbortSignal[] = []
  const load = snapshotLoader(
    new FleetState(),
    async (signal) => {
      signals.push(signal)
      throw new Error('401 not signed in')
    },
    { delay: () => 500 },
  )
  load()
  await flush()
  load.cancel()
  t.mock.timers.tick(60_000)
  await flush()
  assert.equal(signals.length, 1, 'no retry after cancel')
  load()
  assert.equal(signals.length, 2, 'and it can load again later')
  load.cancel()
  assert.equal(signals[1]?.aborted, true)
})

/** Lets pending promise callbacks run. */
async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
