import { Counter, Gauge, type Registry } from 'prom-client'
import type { WebSocket } from 'ws'
import type { LiveFrame, Vehicle } from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'

/** WebSocket close codes this feed uses (4000–4999 are the application's own). */
export const CLOSE = { goingAway: 1001, full: 4013 } as const

export interface LiveHubOptions {
  log: Logger
  metrics: Registry
  flushMs: number
  maxBufferedBytes: number
  maxClients: number
  pingMs: number
}

/**
 * Fans live vehicle updates out to WebSocket clients. Updates are merged per vehicle (latest
 * wins) and sent as one frame per flush interval, serialised once for all clients. A client
 * whose unsent bytes pass the limit, or that stops answering pings, is dropped, so a slow or
 * dead client can never make the gateway's memory grow without bound.
 */
export function createLiveHub(options: LiveHubOptions) {
  const clients = new Set<WebSocket>()
  const alive = new WeakSet<WebSocket>()
  let pending = new Map<string, Vehicle>()

  const connected = new Gauge({
    name: 'live_clients',
    help: 'Connected live-feed clients',
    registers: [options.metrics],
  })
  const frames = new Counter({
    name: 'live_frames_sent_total',
    help: 'Frames sent to live-feed clients',
    registers: [options.metrics],
  })
  const dropped = new Counter({
    name: 'live_clients_dropped_total',
    help: 'Live-feed clients dropped, by reason',
    labelNames: ['reason'],
    registers: [options.metrics],
  })

  function drop(socket: WebSocket, reason: 'slow' | 'unresponsive') {
    dropped.inc({ reason })
    options.log.info({ reason }, 'live client dropped')
    // A close frame would wait behind the very bytes the client is not reading: cut the connection.
    socket.terminate()
  }

  function flush() {
    if (pending.size === 0 || clients.size === 0) return void pending.clear()
    const frame: LiveFrame = { type: 'positions', vehicles: [...pending.values()] }
    pending = new Map()
    const bytes = Buffer.from(JSON.stringify(frame))
    for (const socket of clients) {
      if (socket.bufferedAmount > options.maxBufferedBytes) drop(socket, 'slow')
      else socket.send(bytes, { binary: false })
    }
    frames.inc(clients.size)
  }

  function heartbeat() {
    for (const socket of clients) {
      if (!alive.has(socket)) drop(socket, 'unresponsive')
      else {
        alive.delete(socket)
        socket.ping()
      }
    }
  }

  const flushTimer = setInterval(flush, options.flushMs)
  const pingTimer = setInterval(heartbeat, options.pingMs)

  return {
    /** Adds vehicles to the next frame. */
    publish(vehicles: Vehicle[]) {
      for (const vehicle of vehicles) pending.set(vehicle.name, vehicle)
    },
    add(socket: WebSocket) {
      if (clients.size >= options.maxClients) return socket.close(CLOSE.full, 'too many clients')
      clients.add(socket)
      alive.add(socket)
      connected.set(clients.size)
      socket.on('pong', () => alive.add(socket))
      socket.on('close', () => {
        clients.delete(socket)
        connected.set(clients.size)
      })
      // Clients have nothing to say yet; a message is read and ignored so it cannot pile up.
      socket.on('message', () => {})
      socket.on('error', () => socket.terminate())
    },
    size: () => clients.size,
    close() {
      clearInterval(flushTimer)
      clearInterval(pingTimer)
      for (const socket of clients) socket.close(CLOSE.goingAway, 'server shutting down')
    },
  }
}

export type LiveHub = ReturnType<typeof createLiveHub>
