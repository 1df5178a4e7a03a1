import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import { WebSocket } from 'ws'
import { Registry } from 'prom-client'
import { LIVE_CLOSE, type Vehicle } from '@convoy/contracts'
import { randomBytes } from 'node:crypto'
import { legacyUserId } from '@convoy/access'
import { eventually, testLogger } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { createLiveHub, type LiveHub } from './live-hub.ts'

let issuer: TestIssuer
before(async () => {
  issuer = await testIssuer()
})
const authMessage = async (claims: Parameters<TestIssuer['token']>[0] = {}) =>
  JSON.stringify({ type: 'auth', token: await issuer.token(claims) })

/** A client-to-server WebSocket text frame (masked, as clients must send them). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = randomBytes(4)
  const length =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([length, mask, payload.map((byte, i) => byte ^ mask[i % 4]!)])
}

const vehicle = (name: string, padding = ''): Vehicle => ({
  name: name + padding,
  lat: 53.38,
  lng: -1.47,
  speedKmh: 30,
  heading: 90,
  timestamp: new Date().toISOString(),
})

/** A client that completes the WebSocket handshake and logs in, then never reads nor answers pings. */
async function stalledClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(
    'GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  await once(socket, 'data')
  socket.write(textFrame(await authMessage()))
  socket.pause()
  return socket
}

async function serveHub(pingMs: number, authTimeoutMs = 60_000) {
  const metrics = new Registry()
  const hub = createLiveHub({
    log: testLogger(),
    metrics,
    flushMs: 20,
    maxBufferedBytes: 256 * 1024,
    maxClients: 3,
    pingMs,
    verifier: issuer.verifier,
    authTimeoutMs,
  })
  const server = Fastify()
  await server.register(websocket)
  server.get('/live', { websocket: true }, (socket) => hub.add(socket))
  await server.listen({ port: 0, host: '127.0.0.1' })
  const port = (server.server.address() as net.AddressInfo).port
  return { hub, metrics, port, close: async () => (hub.close(), await server.close()) }
}

describe('live hub', () => {
  let hub: LiveHub
  let metrics: Registry
  let port: number
  let close: () => Promise<void>

  before(async () => {
    ;({ hub, metrics, port, close } = await serveHub(60_000))
  })
  after(() => close())

  const connect = async (claims: Parameters<TestIssuer['token']>[0] = {}) => {
    const client = new WebSocket(`ws://127.0.0.1:${port}/live`)
    const frames: Array<{ type: string; vehicles: Vehicle[]; media?: { id: string } }> = []
    client.on('message', (data: Buffer) =>
      frames.push(JSON.parse(data.toString()) as (typeof frames)[number]),
    )
    await once(client, 'open')
    const before = hub.size()
    client.send(await authMessage(claims))
    await eventually(() => hub.size() > before, 'client registered')
    return { client, frames }
  }

  const probe = {
    id: '0b5a7c1e-1111-4222-8333-944455556666',
    filename: 'probe.mp4',
    size: 1,
    status: 'ready' as const,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  }

  test("sends a user's own events to that user's sockets alone, at once", async () => {
    const ann1 = await connect({ user: 'ann' })
    const ann2 = await connect({ user: 'ann' })
    const bob = await connect({ user: 'bob' })
    const media = {
      id: '0b5a7c1e-1111-4222-8333-944455556666',
      filename: 'clip.mp4',
      size: 10,
      status: 'ready' as const,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    }
    hub.sendTo(legacyUserId('ann'), { type: 'media', media })
    hub.sendTo(legacyUserId('nobody-connected'), { type: 'media', media })
    await eventually(
      () => ann1.frames.length > 0 && ann2.frames.length > 0,
      "the event on both of ann's sockets",
    )
    assert.deepEqual(ann1.frames, [{ type: 'media', media }])
    assert.deepEqual(ann2.frames, [{ type: 'media', media }])
    // bob gets the next vehicle frame, and never ann's event before it.
    hub.publish([vehicle('Van')])
    await eventually(() => bob.frames.length > 0, 'a vehicle frame for bob')
    assert.deepEqual(
      bob.frames.map((frame) => frame.type),
      ['positions'],
    )
    for (const { client } of [ann1, ann2, bob]) client.close()
    await eventually(() => hub.size() === 0, 'clients gone')
  })

  test('sends a fleet alert to every socket of the roles it names alone, as their tokens say now', async () => {
    const admin = await connect({ user: 'ada', role: 'admin' })
    const viewer = await connect({ user: 'vic', role: 'viewer' })
    // A viewer made a dispatcher: their next token says so, on the feed they have open.
    const dispatcher = await connect({ user: 'pat', role: 'viewer' })
    dispatcher.client.send(await authMessage({ user: 'pat', role: 'dispatcher' }))
    await eventually(() => {
      hub.sendToRoles(['dispatcher'], { type: 'media', media: probe })
      return dispatcher.frames.length > 0
    }, 'the new token applied')

    const notification = {
      id: '0b5e2a4c-1111-5222-8333-944455556666',
      kind: 'geofence.entered',
      title: 'Van 12 entered Depot North',
      body: 'Van 12 entered Depot North.',
      createdAt: new Date().toISOString(),
    }
    hub.sendToRoles(['admin', 'dispatcher'], { type: 'notification', notification })
    const alerts = (frames: Array<{ type: string }>) =>
      frames.filter((frame) => frame.type === 'notification')
    await eventually(
      () => alerts(admin.frames).length > 0 && alerts(dispatcher.frames).length > 0,
      'the alert on the admin and the dispatcher',
    )
    for (const { frames } of [admin, dispatcher])
      assert.deepEqual(alerts(frames), [{ type: 'notification', notification }])
    // The viewer gets the next vehicle frame, and never the alert (nor the probes) before it.
    hub.publish([vehicle('Van')])
    await eventually(() => viewer.frames.length > 0, 'a vehicle frame for the viewer')
    assert.deepEqual(
      viewer.frames.map((frame) => frame.type),
      ['positions'],
    )
    for (const { client } of [admin, dispatcher, viewer]) client.close()
    await eventually(() => hub.size() === 0, 'clients gone')
  })

  test("a socket cannot be switched to another user's feed by sending their token", async () => {
    const ann = await connect({ user: 'ann' })
    ann.client.send(await authMessage({ user: 'bob' }))
    const [code, reason] = (await once(ann.client, 'close')) as [number, Buffer]
    assert.deepEqual([code, reason.toString()], [LIVE_CLOSE.unauthorized, 'the token is for another user'])
    await eventually(() => hub.size() === 0, 'client gone')
  })

  test("a revoked user's feeds close at once with 4401; a session begun after the revocation stays", async () => {
    const old = await connect({ user: 'rita', generation: 1 })
    const renewed = await connect({ user: 'rita', generation: 2 })
    const other = await connect({ user: 'otto' })
    hub.revoke({ userId: legacyUserId('rita'), generation: 2 })
    const [code, reason] = (await once(old.client, 'close')) as [number, Buffer]
    assert.deepEqual([code, reason.toString()], [LIVE_CLOSE.unauthorized, 'the session has been revoked'])
    hub.publish([vehicle('Van')])
    await eventually(() => renewed.frames.length > 0 && other.frames.length > 0, 'the others still served')
    for (const { client } of [renewed, other]) client.close()
    await eventually(() => hub.size() === 0, 'clients gone')
  })

  test('merges updates per vehicle and sends them batched to every client', async () => {
    const a = await connect()
    const b = await connect()
    hub.publish([vehicle('Van')])
    hub.publish([{ ...vehicle('Van'), speedKmh: 42 }, vehicle('Bus')])
    await eventually(() => a.frames.length > 0 && b.frames.length > 0, 'a frame on both clients')
    for (const { frames } of [a, b]) {
      assert.equal(frames[0]!.type, 'positions')
      assert.deepEqual(frames[0]!.vehicles.map((v) => [v.name, v.speedKmh]).sort(), [
        ['Bus', 30],
        ['Van', 42],
      ])
    }
    a.client.close()
    b.client.close()
    await eventually(() => hub.size() === 0, 'clients gone')
  })

  test('measures what it sends: frames, bytes, and how old each position is when it goes out', async () => {
    const value = async (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await metrics.metrics())?.[1] ?? 0)
    const before = {
      frames: await value('live_frames_sent_total'),
      bytes: await value('live_bytes_sent_total'),
      count: await value('position_live_latency_seconds_count'),
      sum: await value('position_live_latency_seconds_sum'),
    }
    const a = await connect()
    const reported = new Date(Date.now() - 3_000).toISOString()
    hub.publish([{ ...vehicle('Old'), timestamp: reported }])
    await eventually(() => a.frames.length > 0, 'a frame')
    assert.equal(await value('live_frames_sent_total'), before.frames + 1)
    assert.ok((await value('live_bytes_sent_total')) - before.bytes >= JSON.stringify(a.frames[0]).length)
    assert.equal(await value('position_live_latency_seconds_count'), before.count + 1)
    assert.ok(
      (await value('position_live_latency_seconds_sum')) - before.sum >= 3,
      'three seconds old at least',
    )
    a.client.close()
    await eventually(() => hub.size() === 0, 'clients gone')
  })

  test('drops a client that stops reading, and keeps serving the others', async () => {
    const healthy = await connect()
    const stalled = await stalledClient(port)
    await eventually(() => hub.size() === 2, 'both registered')
    const padding = 'x'.repeat(2000)
    const pump = setInterval(
      () => hub.publish(Array.from({ length: 100 }, (_, i) => vehicle(`V${i}`, padding))),
      10,
    )
    try {
      await eventually(
        async () => /live_clients_dropped_total\{reason="slow"\} 1/.test(await metrics.metrics()),
        'slow client dropped',
        30_000,
      )
    } finally {
      clearInterval(pump)
      stalled.destroy()
    }
    assert.equal(hub.size(), 1)
    const before = healthy.frames.length
    hub.publish([vehicle('After')])
    await eventually(
      () => healthy.frames.slice(before).some((f) => f.vehicles.some((v) => v.name === 'After')),
      'healthy client still served',
    )
    healthy.client.close()
  })

  test('refuses clients beyond the limit with close code 4013', async () => {
    const clients = await Promise.all([connect(), connect(), connect()])
    await eventually(() => hub.size() === 3, 'three clients')
    const extra = new WebSocket(`ws://127.0.0.1:${port}/live`)
    const [code] = (await once(extra, 'close')) as [number]
    assert.equal(code, 4013)
    for (const { client } of clients) client.close()
  })
})

describe('live feed authentication', () => {
  let served: Awaited<ReturnType<typeof serveHub>>
  before(async () => {
    served = await serveHub(60_000, 300)
  })
  after(() => served.close())

  /** Opens a socket, sends `messages`, and resolves with how it was closed and what it got. */
  async function session(messages: string[]) {
    const client = new WebSocket(`ws://127.0.0.1:${served.port}/live`)
    const frames: string[] = []
    client.on('message', (data: Buffer) => frames.push(data.toString()))
    await once(client, 'open')
    for (const message of messages) client.send(message)
    const publisher = setInterval(() => served.hub.publish([vehicle('Van')]), 20)
    try {
      const [code, reason] = (await once(client, 'close')) as [number, Buffer]
      return { code, reason: reason.toString(), frames }
    } finally {
      clearInterval(publisher)
    }
  }

  test('a client that sends no token gets nothing and is closed with 4401', async () => {
    const { code, reason, frames } = await session([])
    assert.deepEqual([code, reason, frames], [LIVE_CLOSE.unauthorized, 'no token received', []])
  })

  test('a bad, expired or foreign token closes the socket with 4401 and the reason', async () => {
    const foreign = await testIssuer()
    for (const [message, expected] of [
      [JSON.stringify({ type: 'auth', token: 'a.b.c' }), /malformed/],
      [await authMessage({ ttlSeconds: -120 }), /expired/],
      [JSON.stringify({ type: 'auth', token: await foreign.token() }), /signature/],
    ] as const) {
      const { code, reason, frames } = await session([message])
      assert.equal(code, LIVE_CLOSE.unauthorized)
      assert.match(reason, expected)
      assert.deepEqual(frames, [])
    }
  })

  test('a first message that is not an auth message closes with 4400', async () => {
    for (const message of ['hello', '{"type":"auth"}', JSON.stringify({ type: 'subscribe', token: 'x' })]) {
      const { code, frames } = await session([message])
      assert.equal(code, LIVE_CLOSE.badMessage, message)
      assert.deepEqual(frames, [])
    }
  })

  test('frames flow once authenticated, and the socket closes with 4401 when the token expires', async () => {
    // Expiry counts whole seconds from the start of the current one: 2 s leaves at least 1 s of frames.
    const { code, reason, frames } = await session([await authMessage({ ttlSeconds: 2 })])
    assert.deepEqual([code, reason], [LIVE_CLOSE.unauthorized, 'token expired'])
    assert.ok(frames.length > 0, 'frames while the token was valid')
  })
})

test('drops a client that stops answering pings', async () => {
  const { hub, metrics, port, close } = await serveHub(100)
  try {
    const stalled = await stalledClient(port)
    await eventually(() => hub.size() === 1, 'registered')
    await eventually(
      async () => /live_clients_dropped_total\{reason="unresponsive"\} 1/.test(await metrics.metrics()),
      'dropped',
    )
    assert.equal(hub.size(), 0)
    stalled.destroy()
  } finally {
    await close()
  }
})
