import { LIVE_CLOSE } from '@convoy/contracts'
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { LiveFeed, liveUrl, type FeedStatus, type SocketLike } from './feed.ts'
import type { Vehicle } from '../shared/types.ts'

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  closed = false
  sent: unknown[] = []
  send(data: string) {
    assert.equal(this.closed, false, 'sent on an open socket')
    this.sent.push(JSON.parse(data))
  }
  close(code?: number) {
    if (this.closed) return
    this.closed = true
    this.onclose?.({ code })
  }
}

interface Renewal {
  resolve(renewed: boolean): void
  reject(error: Error): void
}

function harness(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const sockets: FakeSocket[] = []
  const statuses: FeedStatus[] = []
  const frames: Vehicle[][] = []
  let connects = 0
  const auth = { token: 'token-1' as string | null, renewals: [] as Renewal[] }
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
    token: () => auth.token,
    onUnauthorized: () => new Promise<boolean>((resolve, reject) => auth.renewals.push({ resolve, reject })),
    delay: (attempt) => 1000 * 2 ** attempt,
  })
  return { feed, sockets, statuses, frames, connects: () => connects, auth }
}

const authMessage = (token: string) => ({ type: 'auth', token })
/** Lets the promise callbacks run (the renewal's outcome). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

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

test("passes the user's media and notification events on", (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const sockets: FakeSocket[] = []
  const events: Array<[string, string]> = []
  const feed = new LiveFeed({
    url: 'ws://example.test/api/live',
    connect: () => {
      const socket = new FakeSocket()
      sockets.push(socket)
      return socket
    },
    onVehicles: () => events.push(['vehicles', '']),
    onMedia: (media) => events.push(['media', media.status]),
    onNotification: (notification) => events.push(['notification', notification.title]),
    onConnected: () => {},
    onStatus: () => {},
    token: () => 'token-1',
    onUnauthorized: async () => true,
  })
  feed.start()
  sockets[0]?.onopen?.({})
  const at = '2026-03-01T08:00:00.000Z'
  const media = {
    id: '0b5a1c1e-3f43-4a57-9d0e-6a7f0f3c2b11',
    filename: 'clip.mp4',
    size: 1,
    status: 'ready',
    createdAt: at,
    updatedAt: at,
  }
  sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'media', media }) })
  const notification = { id: 'n1', kind: 'media.ready', title: 'Ready', body: '', createdAt: at }
  sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'notification', notification }) })
  sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'positions', vehicles: [] }) })
  assert.deepEqual(events, [
    ['media', 'ready'],
    ['notification', 'Ready'],
  ])
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

test('sends the token first on every connection, and a renewed one on the open socket', (t) => {
  const { feed, sockets, auth } = harness(t)
  feed.start()
  assert.deepEqual(sockets[0]?.sent, [], 'nothing before the socket opens')
  sockets[0]?.onopen?.({})
  assert.deepEqual(sockets[0]?.sent, [authMessage('token-1')])
  // A silent renewal: the same socket gets the new token, once.
  feed.authorize('token-2')
  feed.authorize('token-2')
  assert.deepEqual(sockets[0]?.sent, [authMessage('token-1'), authMessage('token-2')])
  // After a drop, the new connection starts with the current token.
  auth.token = 'token-3'
  sockets[0]?.close(1006)
  t.mock.timers.tick(1000)
  feed.authorize('token-3') // not open yet: nothing to send
  sockets[1]?.onopen?.({})
  assert.deepEqual(sockets[1]?.sent, [authMessage('token-3')])
  feed.stop()
})

test('close 4401 renews the session, then reconnects with the new token', async (t) => {
  const { feed, sockets, statuses, auth } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  sockets[0]?.onmessage?.({ data: frame })
  sockets[0]?.close(LIVE_CLOSE.unauthorized) // "token expired"
  assert.equal(statuses.at(-1), 'reconnecting')
  assert.equal(auth.renewals.length, 1, 'a renewal was asked for')
  t.mock.timers.tick(60_000)
  assert.equal(sockets.length, 1, 'no reconnect before the renewal is done')
  auth.token = 'token-2'
  auth.renewals[0]?.resolve(true)
  await settle()
  t.mock.timers.tick(1000)
  assert.equal(sockets.length, 2)
  sockets[1]?.onopen?.({})
  assert.deepEqual(sockets[1]?.sent, [authMessage('token-2')])
  assert.equal(statuses.at(-1), 'live')
  feed.stop()
})

test('close 4401 after the session was renewed meanwhile reconnects without renewing again', async (t) => {
  const { feed, sockets, auth } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  auth.token = 'token-2' // renewed, but the server closed before the new token reached it
  sockets[0]?.close(LIVE_CLOSE.unauthorized)
  await settle()
  assert.equal(auth.renewals.length, 0)
  t.mock.timers.tick(1000)
  sockets[1]?.onopen?.({})
  assert.deepEqual(sockets[1]?.sent, [authMessage('token-2')])
  feed.stop()
})

test('close 4401 with a refused renewal stops the feed; an unreachable server is retried', async (t) => {
  const { feed, sockets, auth } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  sockets[0]?.close(LIVE_CLOSE.unauthorized)
  auth.renewals[0]?.reject(new Error('the server cannot be reached'))
  await settle()
  t.mock.timers.tick(1000)
  assert.equal(sockets.length, 2, 'tried again after the backoff')
  sockets[1]?.onopen?.({})
  sockets[1]?.close(LIVE_CLOSE.unauthorized)
  auth.token = null
  auth.renewals[1]?.resolve(false) // the refresh token was refused: signed out
  await settle()
  t.mock.timers.tick(60_000)
  assert.equal(sockets.length, 2, 'no reconnect once the session is over')
})

test('a renewal that ends after stop does not reconnect', async (t) => {
  const { feed, sockets, auth } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  sockets[0]?.close(LIVE_CLOSE.unauthorized)
  feed.stop()
  auth.renewals[0]?.resolve(true)
  await settle()
  t.mock.timers.tick(60_000)
  assert.equal(sockets.length, 1)
})

test('starting again (a new session) replaces the connection', (t) => {
  const { feed, sockets, auth } = harness(t)
  feed.start()
  sockets[0]?.onopen?.({})
  auth.token = 'token-of-someone-else'
  feed.start()
  assert.equal(sockets[0]?.closed, true)
  sockets[1]?.onopen?.({})
  assert.deepEqual(sockets[1]?.sent, [authMessage('token-of-someone-else')])
  t.mock.timers.tick(60_000)
  assert.equal(sockets.length, 2, 'the replaced socket is not reconnected')
  feed.stop()
})

test('the feed URL follows the page protocol', () => {
  assert.equal(liveUrl({ protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/api/live')
  assert.equal(liveUrl({ protocol: 'https:', host: 'convoy.example' }), 'wss://convoy.example/api/live')
})
