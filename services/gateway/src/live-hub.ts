import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { WebSocket } from 'ws'
import { Compile } from 'typebox/compile'
import { LIVE_CLOSE, LiveAuth, type LiveFrame, type Role, type Vehicle } from '@convoy/contracts'
import type { Principal, Revocation, Verifier } from '@convoy/access'
import { AppError } from '@convoy/platform/errors'
import type { Logger } from '@convoy/platform/log'
import { secondsSince } from '@convoy/platform/metrics'

const isLiveAuth = Compile(LiveAuth)

export interface LiveHubOptions {
  log: Logger
  metrics: Registry
  flushMs: number
  maxBufferedBytes: number
  maxClients: number
  pingMs: number
  verifier: Verifier
  /** A client that has not sent a valid token this long after connecting is closed. */
  authTimeoutMs: number
}

/** Why a client is dropped: its buffer stayed full, or it stopped answering pings. */
const DROP_REASONS = ['slow', 'unresponsive'] as const

/**
 * Fans live vehicle updates out to WebSocket clients, sends each user the events of their own
 * media jobs and notifications (`sendTo`), and the fleet alerts to the users of the roles that
 * receive them (`sendToRoles`). Updates are merged per vehicle (latest
 * wins) and sent as one frame per flush interval, serialised once for all clients. A client
 * whose unsent bytes pass the limit, or that stops answering pings, is dropped, so a slow or
 * dead client can never make the gateway's memory grow without bound.
 *
 * A client receives nothing until its first message, `{"type":"auth","token":"<access token>"}`,
 * carries a valid token; it is closed (4401) when that token expires unless it has sent a fresh
 * one by then in the same way, and at once when the user's sessions are revoked (`revoke`).
 */
export function createLiveHub(options: LiveHubOptions) {
  const clients = new Set<WebSocket>() // authenticated: they get frames
  const users = new Map<string, Set<WebSocket>>() // the authenticated sockets of each user, by id
  const principalOf = new WeakMap<WebSocket, Principal>()
  const sockets = new Set<WebSocket>() // every open socket, authenticated or not
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
  const bytesSent = new Counter({
    name: 'live_bytes_sent_total',
    help: 'Bytes of the frames sent to live-feed clients',
    registers: [options.metrics],
  })
  // Freshness as users see it: from a position's own timestamp (the vehicle's report) to the frame
  // that carries it to the map, once per vehicle per frame sent.
  const freshness = new Histogram({
    name: 'position_live_latency_seconds',
    help: "Seconds from a position's report to the live frame that sends it",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [options.metrics],
  })
  const dropped = new Counter({
    name: 'live_clients_dropped_total',
    help: 'Live-feed clients dropped, by reason',
    labelNames: ['reason'],
    registers: [options.metrics],
  })
  // From 0, so the first client dropped is an increase a rate sees.
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0)

  function forget(socket: WebSocket) {
    clients.delete(socket)
    const userId = principalOf.get(socket)?.userId
    const own = userId === undefined ? undefined : users.get(userId)
    own?.delete(socket)
    if (own?.size === 0) users.delete(userId!)
    connected.set(clients.size)
  }

  function send(socket: WebSocket, bytes: Buffer) {
    if (socket.bufferedAmount > options.maxBufferedBytes) drop(socket, 'slow')
    else socket.send(bytes, { binary: false })
  }

  /** Sends one frame, serialised once, to each of `sockets`. */
  function sendAll(sockets: Iterable<WebSocket>, frame: LiveFrame) {
    const bytes = Buffer.from(JSON.stringify(frame))
    let count = 0
    for (const socket of sockets) {
      send(socket, bytes)
      count++
    }
    frames.inc(count)
    bytesSent.inc(bytes.length * count)
  }

  function drop(socket: WebSocket, reason: (typeof DROP_REASONS)[number]) {
    // Out of the fan-out at once: its 'close' event comes later, and it must get no more frames.
    forget(socket)
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
    for (const socket of clients) send(socket, bytes)
    frames.inc(clients.size)
    bytesSent.inc(bytes.length * clients.size)
    const now = Date.now()
    for (const vehicle of frame.vehicles) freshness.observe(secondsSince(vehicle.timestamp, now))
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
    /** Sends a frame at once to every live socket of one user (their media jobs, notifications). */
    sendTo(userId: string, frame: LiveFrame) {
      const own = users.get(userId)
      if (own) sendAll(own, frame)
    },
    /**
     * Sends a frame at once to every live socket of a user of one of `roles` (a fleet alert), as
     * their token says now: a user given another role gets the frames of the new one from their
     * next token on, and a demoted user's feeds are closed (the demotion revokes their sessions).
     */
    sendToRoles(roles: readonly Role[], frame: LiveFrame) {
      sendAll(
        [...clients].filter((socket) => roles.includes(principalOf.get(socket)!.role)),
        frame,
      )
    },
    add(socket: WebSocket) {
      if (sockets.size >= options.maxClients) return socket.close(LIVE_CLOSE.full, 'too many clients')
      sockets.add(socket)
      let expiry = setTimeout(
        () => socket.close(LIVE_CLOSE.unauthorized, 'no token received'),
        options.authTimeoutMs,
      )
      socket.on('close', () => {
        clearTimeout(expiry)
        sockets.delete(socket)
        forget(socket)
      })
      socket.on('error', () => socket.terminate())
      socket.on('message', (data, isBinary) => {
        let message: unknown
        try {
          message = isBinary ? undefined : JSON.parse(Buffer.concat([data].flat() as Buffer[]).toString())
        } catch {
          // not JSON: refused below
        }
        if (!isLiveAuth.Check(message)) {
          return socket.close(LIVE_CLOSE.badMessage, 'expected {"type":"auth","token":"<access token>"}')
        }
        options.verifier.verify(message.token).then(
          (principal) => {
            if (socket.readyState !== socket.OPEN) return
            clearTimeout(expiry)
            expiry = setTimeout(
              () => socket.close(LIVE_CLOSE.unauthorized, 'token expired'),
              Math.max(0, principal.expiresAt - Date.now()),
            )
            if (clients.has(socket)) {
              // A fresh token keeps the feed open; it cannot turn the feed into someone else's.
              if (principalOf.get(socket)?.userId !== principal.userId)
                socket.close(LIVE_CLOSE.unauthorized, 'the token is for another user')
              else principalOf.set(socket, principal)
              return
            }
            clients.add(socket)
            principalOf.set(socket, principal)
            users.set(principal.userId, (users.get(principal.userId) ?? new Set()).add(socket))
            alive.add(socket)
            socket.on('pong', () => alive.add(socket))
            connected.set(clients.size)
          },
          (error: unknown) => {
            const status = error instanceof AppError ? error.status : 500
            socket.close(
              status === 401 ? LIVE_CLOSE.unauthorized : LIVE_CLOSE.unavailable,
              (error instanceof Error ? error.message : 'token not accepted').slice(0, 120),
            )
          },
        )
      })
    },
    /** Closes (4401) the feeds of a user whose sessions were revoked below `generation`. */
    revoke({ userId, generation }: Revocation) {
      for (const socket of users.get(userId) ?? []) {
        if ((principalOf.get(socket)?.generation ?? 0) >= generation) continue
        forget(socket)
        socket.close(LIVE_CLOSE.unauthorized, 'the session has been revoked')
      }
    },
    size: () => clients.size,
    close() {
      clearInterval(flushTimer)
      clearInterval(pingTimer)
      for (const socket of sockets) socket.close(LIVE_CLOSE.goingAway, 'server shutting down')
    },
  }
}

export type LiveHub = ReturnType<typeof createLiveHub>
