import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Fleet } from './fleet.ts'
import { snapshotLoader } from './snapshot.ts'
import type { Vehicle } from './types.ts'

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
  const fleet = new Fleet()
  let calls = 0
  const load = snapshotLoader(
    fleet,
    async () => {
      calls++
      if (calls < 3) throw new Error('503 tracker unavailable')
      return [van]
    },
    (attempt) => 500 * 2 ** attempt,
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
})

test('a newer load cancels the one in flight', async () => {
  const fleet = new Fleet()
  const signals: AbortSignal[] = []
  const load = snapshotLoader(fleet, (signal) => {
    signals.push(signal)
    return new Promise((resolve) => setTimeout(() => resolve(signals.length === 1 ? [] : [van]), 5))
  })
  load()
  load()
  assert.equal(signals[0]?.aborted, true)
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(fleet.size, 1)
})

/** Lets pending promise callbacks run. */
async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
