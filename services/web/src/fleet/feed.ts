import { LIVE_CLOSE } from '@convoy/contracts'
import { backoffDelay } from '../shared/backoff.ts'
import { readFrame } from '../shared/frames.ts'
import type { LiveAuth, Media, Notification, Vehicle } from '../shared/types.ts'

/** A connection that stayed open this long was healthy: the next retry starts from the base delay. */
const HEALTHY_MS = 5000

export type FeedStatus = 'connecting' | 'live' | 'reconnecting'

/** The part of the browser's WebSocket the feed uses (a fake one in tests). */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code?: number }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(): void
}

export interface LiveFeedOptions {
  url: string
  connect?: (url: string) => SocketLike
  onVehicles(vehicles: Vehicle[]): void
  /** One of the user's media jobs changed (uploaded → converting → ready or failed). */
  onMedia?(media: Media): void
  /** A notification was created for the user. */
  onNotification?(notification: Notification): void
  /** Called after every successful (re)connect: the place to re-fetch the full state. */
  onConnected(): void
  onStatus(status: FeedStatus): void
  /** The access token sent as the first message of every connection; null when signed out. */
  token(): string | null
  /**
   * The server refused the token (close 4401): renew the session. Resolves true when there is a
   * fresh token to connect with, false when the session is over (the feed then stops).
   */
  onUnauthorized(): Promise<boolean>
  delay?: (attempt: number) => number
}

/**
 * The `/api/live` WebSocket, kept open: when it drops it reconnects by itself with exponential
 * backoff (capped near 10 s), and reports `live` / `reconnecting` for the header. Each connection
 * starts with `{"type":"auth","token":…}`; `authorize` hands a renewed token to the open socket
 * before the old one expires, and a 4401 close renews the session before connecting again.
 */
export class LiveFeed {
  readonly #options: LiveFeedOptions
  #socket: SocketLike | null = null
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = false
  /** Counts `stop` calls, so that a renewal that ends after a stop (and a new start) is ignored. */
  #runs = 0
  #openedAt = 0
  /** Whether `#socket` is open (and has been given a token). */
  #connected = false
  /** The token the open socket was last given. */
  #sentToken: string | null = null

  constructor(options: LiveFeedOptions) {
    this.#options = options
  }

  /** Connects; a feed already running starts over (a new session). */
  start(): void {
    this.stop()
    this.#stopped = false
    this.#attempt = 0
    this.#options.onStatus('connecting')
    this.#open()
  }

  stop(): void {
    this.#stopped = true
    this.#runs++
    clearTimeout(this.#timer)
    const socket = this.#socket
    this.#socket = null
    this.#connected = false
    socket?.close()
  }

  /** Gives the open connection a renewed token, so that the server does not close it at expiry. */
  authorize(token: string): void {
    if (this.#socket && this.#connected && token !== this.#sentToken) this.#sendToken(this.#socket, token)
  }

  #open(): void {
    const { url, connect = (to) => new WebSocket(to) as unknown as SocketLike } = this.#options
    let socket: SocketLike
    try {
      socket = connect(url)
    } catch {
      this.#retry()
      return
    }
    this.#socket = socket
    socket.onopen = () => {
      const token = this.#options.token()
      if (token === null) {
        this.stop()
        return
      }
      this.#openedAt = Date.now()
      this.#connected = true
      this.#sendToken(socket, token)
      this.#options.onStatus('live')
      this.#options.onConnected()
    }
    socket.onmessage = (event) => {
      // Only a feed that delivers data counts as healthy: a server that accepts and drops at once
      // must not reset the backoff.
      this.#attempt = 0
      const frame = readFrame(event.data)
      if (frame?.type === 'positions' && frame.vehicles.length > 0) this.#options.onVehicles(frame.vehicles)
      else if (frame?.type === 'media') this.#options.onMedia?.(frame.media)
      else if (frame?.type === 'notification') this.#options.onNotification?.(frame.notification)
    }
    socket.onerror = () => socket.close()
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      this.#socket = null
      this.#connected = false
      if (this.#openedAt > 0 && Date.now() - this.#openedAt >= HEALTHY_MS) this.#attempt = 0
      this.#openedAt = 0
      if (event.code === LIVE_CLOSE.unauthorized) this.#reauthorize()
      else this.#retry()
    }
  }

  #sendToken(socket: SocketLike, token: string): void {
    this.#sentToken = token
    socket.send(JSON.stringify({ type: 'auth', token } satisfies LiveAuth))
  }

  /** After a 4401: renew the session (unless it already was since the refused token), then reconnect. */
  #reauthorize(): void {
    if (this.#stopped) return
    this.#options.onStatus('reconnecting')
    const run = this.#runs
    const current = this.#options.token()
    const renewed =
      current !== null && current !== this.#sentToken ? Promise.resolve(true) : this.#options.onUnauthorized()
    renewed.then(
      (ok) => {
        if (run !== this.#runs) return
        if (ok) this.#retry()
        else this.stop()
      },
      // The session could not be renewed for now (server unreachable): keep trying, with backoff.
      () => {
        if (run === this.#runs) this.#retry()
      },
    )
  }

  #retry(): void {
    if (this.#stopped) return
    this.#options.onStatus('reconnecting')
    const delay = (this.#options.delay ?? backoffDelay)(this.#attempt++)
    this.#timer = setTimeout(() => this.#open(), delay)
  }
}

/** `ws://host/api/live` or `wss://…` to match the page. */
export function liveUrl(location: { protocol: string; host: string }, path = '/api/live'): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`
}
