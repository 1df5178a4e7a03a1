import { Check } from 'typebox/value'
import { Me, type TokenPair } from '@convoy/contracts'
import { ApiError, request } from '../shared/api-error.ts'
import { changePassword, login, logout, me, renew } from './auth-api.ts'

/**
 * What the browser keeps of a session, in localStorage so that it survives a reload and is shared
 * by the tabs. The trade-off: script running in the page (an XSS) could read the tokens, where an
 * HttpOnly cookie would hide at least the refresh token. The mitigations are a short-lived access
 * token, rotating refresh tokens whose reuse revokes the session, a Content-Security-Policy without
 * inline scripts (src/server/app.ts), and an app that never puts untrusted text into HTML
 * (`textContent` only). A cookie would need the auth API to set and read one.
 */
export interface SessionData {
  accessToken: string
  refreshToken: string
  /** When the access token was received and when it expires: ms since epoch, by this browser's clock. */
  receivedAt: number
  expiresAt: number
  user: Me
}

/** Why a session ended: the user signed out (here or in another tab), or it could not be renewed. */
export type EndReason = 'signed-out' | 'ended'

export type SessionEvent =
  | { type: 'signed-in'; user: Me }
  | { type: 'token'; accessToken: string }
  | { type: 'user'; user: Me }
  | { type: 'signed-out'; reason: EndReason }

export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** The part of the Web Locks API used: one renewal at a time across the tabs. */
export interface LockManagerLike {
  request(name: string, callback: () => Promise<boolean>): Promise<boolean>
}

export interface SessionOptions {
  storage: KeyValueStore
  fetch?: typeof fetch
  locks?: LockManagerLike
  /** Share of the access token's lifetime after which it is renewed. */
  refreshAt?: number
  /** Wait before trying a failed renewal again (server unreachable). */
  retryMs?: number
}

export const SESSION_KEY = 'convoy.session'
const LOCK = 'convoy.session'

/**
 * The signed-in user's tokens: sign in, renew the access token silently when 75% of its lifetime
 * has passed, and give API calls a token (`fetch`), renewing once on a 401. Only one renewal is in
 * flight at a time: concurrent callers share it, and other tabs wait for it behind a Web Lock and
 * then take its result from storage (a refresh token works once; using it twice ends the session).
 */
export class Session {
  readonly #storage: KeyValueStore
  readonly #fetch: typeof fetch
  readonly #locks: LockManagerLike | undefined
  readonly #refreshAt: number
  readonly #retryMs: number
  readonly #listeners = new Set<(event: SessionEvent) => void>()
  #data: SessionData | null
  /** Whether storage holds the session (it may refuse: then other tabs cannot share it). */
  #persisted = true
  #refreshing: Promise<boolean> | null = null
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: SessionOptions) {
    this.#storage = options.storage
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.#locks = options.locks
    this.#refreshAt = options.refreshAt ?? 0.75
    this.#retryMs = options.retryMs ?? 10_000
    this.#data = this.#read()
    this.#schedule()
  }

  get user(): Me | null {
    return this.#data?.user ?? null
  }

  get accessToken(): string | null {
    return this.#data?.accessToken ?? null
  }

  /** Whether the access token has expired, by this browser's clock. */
  get expired(): boolean {
    return this.#data !== null && Date.now() >= this.#data.expiresAt
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Logs in; rejects with an `ApiError` (401 wrong credentials, 429 with `retryAfter`, 0 unreachable). */
  async signIn(username: string, password: string): Promise<Me> {
    const pair = await login(this.#fetch, username, password)
    const receivedAt = Date.now()
    const user = await me(this.#fetch, pair.accessToken)
    this.#set({ ...tokensOf(pair, receivedAt), user })
    this.#emit({ type: 'signed-in', user })
    return user
  }

  /**
   * Sets the user's own password. The server ends every session of theirs and hands this one a
   * fresh pair, which every tab and the live feed take on. Rejects with the server's `ApiError`.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    if (this.expired) await this.refresh()
    await this.#lock(async () => {
      const data = this.#data
      if (data === null) throw new ApiError(401, 'not signed in')
      const pair = await changePassword(this.#fetch, data.accessToken, { currentPassword, newPassword })
      this.#set({ ...data, ...tokensOf(pair, Date.now()) })
      this.#emit({ type: 'token', accessToken: pair.accessToken })
      return true
    })
  }

  /** Revokes the session on the server (when it can be reached) and forgets it here. */
  async signOut(): Promise<void> {
    if (this.#data === null) return
    try {
      // Logout takes a valid access token, and must not race another tab's renewal.
      if (this.expired) await this.refresh()
      await this.#lock(async () => {
        const data = this.#read() ?? this.#data
        if (data === null) return false
        await logout(this.#fetch, data.accessToken, data.refreshToken)
        return true
      })
    } catch {
      // Unreachable: the server forgets the session when its refresh token expires.
    }
    this.#end('signed-out')
  }

  /**
   * Renews the access token: true once there is a fresh one, false when the session is over (the
   * refresh token was refused). Rejects when the server cannot be reached (the session stays).
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#lock(() => this.#renew()).finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  /** `fetch` with the access token. A 401 renews the session once and repeats the call. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    if (this.expired) await this.refresh()
    const token = this.accessToken
    if (token === null) throw new ApiError(401, 'not signed in')
    const response = await request(this.#fetch, url, withBearer(init, token))
    if (response.status !== 401) return response
    // Another call may have renewed the token meanwhile; otherwise renew it now (a sleeping laptop).
    const renewed = this.accessToken !== token || (await this.refresh())
    const fresh = this.accessToken
    if (!renewed || fresh === null) return response
    return request(this.#fetch, url, withBearer(init, fresh))
  }

  /** Follows a change another tab made to the stored session (the `storage` event's `key`). */
  storageChanged(key: string | null): void {
    if (key !== null && key !== SESSION_KEY) return
    const stored = this.#read()
    if (stored === null) this.#end('signed-out')
    else if (stored.refreshToken !== this.#data?.refreshToken) this.#adopt(stored)
  }

  /** Stops the renewal timer (tests). */
  dispose(): void {
    clearTimeout(this.#timer)
    this.#listeners.clear()
  }

  async #renew(): Promise<boolean> {
    const mine = this.#data
    if (mine === null) return false
    // While this tab waited for the lock, another one may have renewed the pair or signed out.
    const stored = this.#persisted ? this.#read() : mine
    if (stored === null) {
      this.#end('signed-out')
      return false
    }
    if (stored.refreshToken !== mine.refreshToken) {
      this.#adopt(stored)
      return true
    }
    const pair = await renew(this.#fetch, mine.refreshToken)
    if (pair === null) {
      this.#end('ended')
      return false
    }
    if (this.#data === null) return false // signed out meanwhile
    this.#set({ ...this.#data, ...tokensOf(pair, Date.now()) })
    this.#emit({ type: 'token', accessToken: pair.accessToken })
    void this.#checkUser(pair.accessToken)
    return true
  }

  /** A renewed token carries the user's current role: show it if an admin changed it. */
  async #checkUser(token: string): Promise<void> {
    const user = await me(this.#fetch, token).catch(() => null)
    const data = this.#data
    if (!user || !data || data.accessToken !== token) return
    if (user.id === data.user.id && user.role === data.user.role) return
    this.#set({ ...data, user })
    this.#emit({ type: 'user', user })
  }

  #adopt(stored: SessionData): void {
    const before = this.#data
    this.#data = stored
    this.#schedule()
    if (before === null || before.user.id !== stored.user.id) {
      this.#emit({ type: 'signed-in', user: stored.user })
      return
    }
    this.#emit({ type: 'token', accessToken: stored.accessToken })
    if (before.user.role !== stored.user.role) this.#emit({ type: 'user', user: stored.user })
  }

  #set(data: SessionData): void {
    this.#data = data
    try {
      this.#storage.setItem(SESSION_KEY, JSON.stringify(data))
      this.#persisted = true
    } catch {
      // Storage full or refused (private browsing): the session lasts as long as the page.
      this.#persisted = false
    }
    this.#schedule()
  }

  #end(reason: EndReason): void {
    if (this.#data === null) return
    this.#data = null
    clearTimeout(this.#timer)
    this.#storage.removeItem(SESSION_KEY)
    this.#emit({ type: 'signed-out', reason })
  }

  #schedule(): void {
    clearTimeout(this.#timer)
    const data = this.#data
    if (data === null) return
    const at = data.receivedAt + (data.expiresAt - data.receivedAt) * this.#refreshAt
    this.#timer = setTimeout(() => this.#renewOnTime(), Math.max(0, at - Date.now()))
  }

  #renewOnTime(): void {
    this.refresh().catch((error: unknown) => {
      console.warn('session renewal failed, retrying', error)
      clearTimeout(this.#timer)
      this.#timer = setTimeout(() => this.#renewOnTime(), this.#retryMs)
    })
  }

  #lock(task: () => Promise<boolean>): Promise<boolean> {
    return this.#locks ? this.#locks.request(LOCK, task) : task()
  }

  #read(): SessionData | null {
    try {
      const data = JSON.parse(this.#storage.getItem(SESSION_KEY) ?? 'null') as Partial<SessionData> | null
      return isSessionData(data) ? data : null
    } catch {
      return null
    }
  }

  #emit(event: SessionEvent): void {
    for (const listener of [...this.#listeners]) listener(event)
  }
}

function tokensOf(pair: TokenPair, receivedAt: number) {
  const { accessToken, refreshToken, expiresIn } = pair
  return { accessToken, refreshToken, receivedAt, expiresAt: receivedAt + expiresIn * 1000 }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${token}`)
  return { ...init, headers }
}

function isSessionData(data: Partial<SessionData> | null): data is SessionData {
  return (
    typeof data?.accessToken === 'string' &&
    typeof data.refreshToken === 'string' &&
    typeof data.receivedAt === 'number' &&
    typeof data.expiresAt === 'number' &&
    Check(Me, data.user)
  )
}
