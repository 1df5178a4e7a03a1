import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { TILE_FAILURES, TILE_RETRY_MS, TILE_TIMEOUT_MS, TileWatch } from './tile-watch.ts'

function watching(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const events: string[] = []
  const watch = new TileWatch({
    attach: () => events.push('attach'),
    detach: () => events.push('detach'),
    onChange: (offline) => events.push(offline ? 'offline' : 'online'),
  })
  return { watch, events }
}

test('a failing tile takes the tiles off the map until the next retry', (t) => {
  const { watch, events } = watching(t)
  watch.start()
  watch.failed()
  watch.failed() // more errors from tiles already asked for change nothing
  assert.deepEqual(events, ['attach', 'detach', 'offline'])
  assert.equal(watch.offline, true)
  assert.equal(watch.attached, false)

  t.mock.timers.tick(TILE_RETRY_MS - 1)
  assert.equal(watch.attached, false, 'no tile requests for minutes')
  t.mock.timers.tick(1)
  assert.deepEqual(events.slice(3), ['attach'], 'one more try, still shown as offline')
  watch.failed()
  assert.deepEqual(events.slice(4), ['detach'])
  t.mock.timers.tick(TILE_RETRY_MS)
  watch.loaded()
  assert.deepEqual(events.slice(5), ['attach', 'online'])
  assert.equal(watch.offline, false)
})

test('tiles that never answer count as offline after the timeout', (t) => {
  const { watch, events } = watching(t)
  watch.start()
  t.mock.timers.tick(TILE_TIMEOUT_MS - 1)
  assert.equal(watch.offline, null)
  t.mock.timers.tick(1)
  assert.deepEqual(events, ['attach', 'detach', 'offline'])
})

test('the browser coming online retries at once', (t) => {
  const { watch, events } = watching(t)
  watch.start()
  watch.failed()
  watch.retryNow()
  watch.retryNow()
  assert.deepEqual(events, ['attach', 'detach', 'offline', 'attach'])
  watch.loaded()
  t.mock.timers.tick(TILE_TIMEOUT_MS + TILE_RETRY_MS)
  assert.deepEqual(events.slice(4), ['online'], 'the earlier retry timer is gone')
})

test('once tiles work, only a run of failures without a success means offline', (t) => {
  const { watch, events } = watching(t)
  watch.start()
  watch.loaded()
  t.mock.timers.tick(TILE_TIMEOUT_MS)
  for (let i = 1; i < TILE_FAILURES; i++) watch.failed()
  watch.loaded()
  for (let i = 1; i < TILE_FAILURES; i++) watch.failed()
  assert.deepEqual(events, ['attach', 'online'])
  watch.failed()
  assert.deepEqual(events, ['attach', 'online', 'detach', 'offline'])
})
