import { backoffDelay } from './backoff.ts'
import { parseFrame } from './frames.ts'
import type { Vehicle } from './types.ts'

/** A connection that stayed open this long was healthy: the next retry starts from the base delay. */
const HEALTHY_MS = 5000

export type FeedStatus = 'connecting' | 'live' | 'reconnecting'

/** The part of the browser's WebSocket the feed uses (a fake one in tests). */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  close(): void
}

export interface LiveFeedOptions {
  url: string
  connect?: (url: string) => SocketLike
  onVehicles(vehicles: Vehicle[]): void
  /** Called after every successful (re)connect: the place to re-fetch the full state. */
  onConnected(): void
  onStatus(status: FeedStatus): void
  delay?: (attempt: number) => number
}

/**
 * The `/api/live` WebSocket, kept open: when it drops it reconnects by itself with exponential
 * backoff (capped near 10 s), and reports `live` / `reconnecting` for the header.
 */
export class LiveFeed {
  readonly #options: LiveFeedOptions
  #socket: SocketLike | null = null
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = false
  #openedAt = 0

  constructor(options: LiveFeedOptions) {
    this.#options = options
  }

  start(): void {
    this.#stopped = false
    this.#options.onStatus('connecting')
    this.#open()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    const socket = this.#socket
    this.#socket = null
    socket?.close()
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
      this.#openedAt = Date.now()
      this.#options.onStatus('live')
      this.#options.onConnected()
    }
    socket.onmessage = (event) => {
      // Only a feed that delivers data counts as healthy: a server that accepts and drops at once
      // must not reset the backoff.
      this.#attempt = 0
      const vehicles = parseFrame(event.data)
      if (vehicles && vehicles.length > 0) this.#options.onVehicles(vehicles)
    }
    socket.onerror = () => socket.close()
    socket.onclose = () => {
      if (this.#socket !== socket) return
      this.#socket = null
      if (this.#openedAt > 0 && Date.now() - this.#openedAt >= HEALTHY_MS) this.#attempt = 0
      this.#openedAt = 0
      this.#retry()
    }
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
