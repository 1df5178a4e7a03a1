/** Without a single tile loaded by then, the map is treated as offline (requests may just hang). */
export const TILE_TIMEOUT_MS = 6000
/** How long tiles stay off once they failed, before one more try. */
export const TILE_RETRY_MS = 5 * 60_000
/** Once tiles have loaded, this many failures in a row (and no success) mean they are gone again. */
export const TILE_FAILURES = 8

export interface TileWatchOptions {
  /** Puts the tile layer on the map: it starts requesting tiles. */
  attach(): void
  /** Takes it off: no more tile requests. */
  detach(): void
  /** Called with true when tiles cannot be loaded, with false once one has loaded. */
  onChange(offline: boolean): void
  timeoutMs?: number
  retryMs?: number
}

/**
 * Decides whether map tiles can be loaded, and stops asking for them when they cannot: the tile
 * layer is taken off the map (no request, no console error per tile) and put back only every
 * `retryMs`, or at once when `retryNow` is called (the browser's `online` event).
 */
export class TileWatch {
  readonly #options: Required<TileWatchOptions>
  #offline: boolean | null = null
  #attached = false
  #failures = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: TileWatchOptions) {
    this.#options = { timeoutMs: TILE_TIMEOUT_MS, retryMs: TILE_RETRY_MS, ...options }
  }

  /** null until decided. */
  get offline(): boolean | null {
    return this.#offline
  }

  get attached(): boolean {
    return this.#attached
  }

  start(): void {
    if (!this.#attached) this.#attach()
  }

  /** A tile loaded. */
  loaded(): void {
    if (!this.#attached) return
    clearTimeout(this.#timer)
    this.#failures = 0
    this.#set(false)
  }

  /** A tile failed to load. While tiles are known to work, one failure is not enough to give up. */
  failed(): void {
    if (!this.#attached) return
    if (this.#offline === false && ++this.#failures < TILE_FAILURES) return
    this.#giveUp()
  }

  /** Tries tiles again now rather than at the next scheduled retry. */
  retryNow(): void {
    if (!this.#attached) this.#attach()
  }

  stop(): void {
    clearTimeout(this.#timer)
    if (this.#attached) this.#options.detach()
    this.#attached = false
  }

  #attach(): void {
    clearTimeout(this.#timer)
    this.#attached = true
    this.#failures = 0
    this.#options.attach()
    this.#timer = setTimeout(() => this.#giveUp(), this.#options.timeoutMs)
  }

  #giveUp(): void {
    clearTimeout(this.#timer)
    if (this.#attached) {
      this.#attached = false
      this.#options.detach()
    }
    this.#set(true)
    this.#timer = setTimeout(() => this.#attach(), this.#options.retryMs)
  }

  #set(offline: boolean): void {
    if (offline === this.#offline) return
    this.#offline = offline
    this.#options.onChange(offline)
  }
}
