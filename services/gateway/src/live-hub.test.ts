import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import { WebSocket } from 'ws'
import { Registry } from 'prom-client'
import type { Vehicle } from '@convoy/contracts'
import { eventually, testLogger } from '@convoy/platform/testing'
import { createLiveHub, type LiveHub } from './live-hub.ts'

const vehicle = (name: string, padding = ''): Vehicle => ({
  name: name + padding,
  lat: 53.38,
  lng: -1.47,
  speedKmh: 30,
  heading: 90,
  timestamp: new Date().toISOString(),
})

/** A client that completes the WebSocket handshake, then never reads nor answers pings. */
async function stalledClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(
    'GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  await once(socket, 'data')
  socket.pause()
  return socket
}

async function serveHub(pingMs: number) {
  const metrics = new Registry()
  const hub = createLiveHub({
    log: testLogger(),
    metrics,
    flushMs: 20,
    maxBufferedBytes: 256 * 1024,
    maxClients: 3,
    pingMs,
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

  const connect = async () => {
    const client = new WebSocket(`ws://127.0.0.1:${port}/live`)
    const frames: Array<{ type: string; vehicles: Vehicle[] }> = []
    client.on('message', (data: Buffer) =>
      frames.push(JSON.parse(data.toString()) as (typeof frames)[number]),
    )
    await once(client, 'open')
    await eventually(() => hub.size() > 0, 'client registered')
    return { client, frames }
  }

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
