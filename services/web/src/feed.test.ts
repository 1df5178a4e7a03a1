import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { LiveFeed, liveUrl, type FeedStatus, type SocketLike } from './feed.ts'
import type { Vehicle } from './types.ts'

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  closed = false
  close() {
    if (this.closed) return
    this.closed = true
    this.onclose?.({})
  }
}

function harness(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const sockets: FakeSocket[] = []
  const statuses: FeedStatus[] = []
  const frames: Vehicle[][] = []
  let connects = 0
  const feed = new LiveFeed({
    url: 'ws://example.test/api/live',
    connect: (url) => {
      assert.equal(url, 'ws://example.test/api/live')
      const socket = new FakeSocket()
      sockets.push(socket)
      return socket
    },
    onVehicles: (vehicles) => frames.push(vehicles),
    onConnected: () => connects++,
    onStatus: (status) => statuses.push(status),
    delay: (attempt) => 1000 * 2 ** attempt,
  })
  return { feed, sockets, statuses, frames, connects: () => connects }
}

const frame = JSON.stringify({
  type: 'positions',
  vehicles: [{ name: 'Van', lat: 1, lng: 2, speedKmh: 3, heading: 4, timestamp: '2024-05-01T12:00:00Z' }],
})

test('reports live, passes frames on and ignores unknown ones', (t) => {
  const { feed, sockets, statuses, frames, connects } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'media', id: 'x' }) })
  sockets[0]?.onmessage?.({ data: frame })
  assert.deepEqual(statuses, ['connecting', 'live'])
  assert.equal(connects(), 1)
  assert.equal(frames.length, 1)
  assert.equal(frames[0]?.[0]?.name, 'Van')
  feed.stop()
})

test('reconnects with growing delays, and calls onConnected again after each reconnect', (t) => {
  const { feed, sockets, statuses, connects } = harness(t)
  feed.start()
  sockets[0]?.close() // refused
  assert.equal(statuses.at(-1), 'reconnecting')
  t.mock.timers.tick(999)
  assert.equal(sockets.length, 1)
  t.mock.timers.tick(1)
  assert.equal(sockets.length, 2)
  sockets[1]?.onerror?.({}) // refused again: the next wait doubles
  t.mock.timers.tick(1999)
  assert.equal(sockets.length, 2)
  t.mock.timers.tick(1)
  sockets[2]?.onopen?.({})
  assert.equal(statuses.at(-1), 'live')
  assert.equal(connects(), 1)
  sockets[2]?.onmessage?.({ data: frame }) // a working feed resets the backoff
  sockets[2]?.close()
  t.mock.timers.tick(1000)
  assert.equal(sockets.length, 4)
  sockets[3]?.onopen?.({})
  assert.equal(connects(), 2)
  feed.stop()
})

test('stop closes the socket and never reconnects', (t) => {
  const { feed, sockets } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  feed.stop()
  assert.equal(sockets[0]?.closed, true)
  t.mock.timers.tick(60_000)
  assert.equal(sockets.length, 1)
})

test('the feed URL follows the page protocol', () => {
  assert.equal(liveUrl({ protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/api/live')
  assert.equal(liveUrl({ protocol: 'https:', host: 'convoy.example' }), 'wss://convoy.example/api/live')
})
