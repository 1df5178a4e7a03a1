import { setTimeout as sleep } from 'node:timers/promises'
import { Compile } from 'typebox/compile'
import { Revocations, userRevoked } from '@convoy/contracts'
import type { Logger } from '@convoy/platform/log'
import type { Broker, Subscription } from '@convoy/platform/messaging'

/** One revocation: the access tokens of `userId` with a session generation below `generation` are void. */
export interface Revocation {
  userId: string
  generation: number
}

/**
 * What a verifier knows of revoked sessions: per user, the lowest session generation still valid.
 * It answers for every request from memory; {@link followRevocations} keeps it current.
 */
export interface RevocationList {
  /** False until the first complete list has arrived: until then, nothing can be said of any token. */
  loaded(): boolean
  /** True when a token of `userId` of generation `generation` has been revoked. */
  revoked(userId: string, generation: number): boolean
  /** Applies one revocation (they only ever raise a user's lowest valid generation). */
  apply(revocation: Revocation): void
  /** Applies a complete list, as auth serves it, and marks the list loaded. */
  load(revocations: Revocation[]): void
  /** Calls `listener` with each revocation that raised a user's generation (to close their live feeds). */
  onRevoked(listener: (revocation: Revocation) => void): () => void
}

/**
 * An empty revocation list.
 *
 * @example
 * const revocations = createRevocationList()
 * const verifier = createVerifier({ jwksUrl, issuer, audience, revocations })
 * followRevocations({ broker, list: revocations, snapshot: revocationsFrom(config.AUTH_REVOCATIONS_URL), log })
 */
export function createRevocationList(): RevocationList {
  const lowest = new Map<string, number>()
  const listeners = new Set<(revocation: Revocation) => void>()
  let loaded = false
  const apply = ({ userId, generation }: Revocation) => {
    if ((lowest.get(userId) ?? 0) >= generation) return
    lowest.set(userId, generation)
    for (const listener of listeners) listener({ userId, generation })
  }
  return {
    loaded: () => loaded,
    revoked: (userId, generation) => generation < (lowest.get(userId) ?? 0),
    apply,
    load(revocations) {
      for (const revocation of revocations) apply(revocation)
      loaded = true
    },
    onRevoked(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** A list that knows of no revocation and is loaded: for tests of what a valid token opens. */
export function noRevocations(): RevocationList {
  const list = createRevocationList()
  list.load([])
  return list
}

const isSnapshot = Compile(Revocations)

/** Fetches the revocations that can still matter from auth's internal API. */
export function revocationsFrom(url: string): () => Promise<Revocation[]> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
    if (!response.ok) throw new Error(`revocations: HTTP ${response.status}`)
    const body: unknown = await response.json()
    if (!isSnapshot.Check(body)) throw new Error('revocations: not a list of revocations')
    return body.revocations
  }
}

export interface FollowOptions {
  broker: Broker
  list: RevocationList
  /** The complete list of revocations that can still matter: auth's, over HTTP or from its database. */
  snapshot: () => Promise<Revocation[]>
  log: Logger
  /** The complete list is read again this often, whatever the broker says. Default 30 s. */
  resyncMs?: number
}

/**
 * Keeps `list` current: every revocation auth announces on the broker is applied as it arrives
 * (each process has a queue of its own, so every replica gets every one), and the complete list is
 * read again each time the subscription (re)starts — whatever was announced while this process
 * was down or disconnected is in it — and every `resyncMs`, in case an announcement was lost.
 * Reading it after subscribing, never before, leaves no gap between the two.
 *
 * @example
 * const following = followRevocations({ broker, list, snapshot: revocationsFrom(url), log })
 * // readiness: following.isReady; at shutdown: await following.close()
 */
export function followRevocations(options: FollowOptions): Subscription {
  const { list, log } = options
  let closed = false
  let syncing: Promise<void> | undefined
  const sync = () =>
    (syncing ??= (async () => {
      // Until the first list arrives every token is refused with a 503, so try again soon.
      for (let attempt = 1; !closed; attempt++) {
        try {
          list.load(await options.snapshot())
          return
        } catch (error) {
          if (attempt === 1 || attempt % 20 === 0)
            log.warn({ err: error, attempt }, 'revocations could not be read, retrying')
          if (list.loaded()) return // the next resync tries again
          await sleep(Math.min(250 * attempt, 3000))
        }
      }
    })().finally(() => (syncing = undefined)))

  const subscription = options.broker.consume({
    queue: 'revocations',
    temporary: true,
    topics: [userRevoked],
    onReady: () => void sync(),
    handler: async ({ body }) => list.apply(body),
  })
  const timer = setInterval(() => void sync(), options.resyncMs ?? 30_000)
  timer.unref()
  return {
    isReady: () => subscription.isReady() && list.loaded(),
    async close() {
      closed = true
      clearInterval(timer)
      await subscription.close()
      await syncing
    },
  }
}
