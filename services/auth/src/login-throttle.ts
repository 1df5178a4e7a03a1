import { TooManyRequestsError } from '@convoy/platform/errors'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Tables } from './migrations.ts'

export interface ThrottleSettings {
  /** Failures of one username from one address before each next attempt must wait. */
  freeFailures: number
  /** The first such wait, in seconds; each further one is twice the one before. */
  firstDelaySeconds: number
  /** The longest wait between two attempts of one username from one address, in seconds. */
  maxDelaySeconds: number
  /** The window the per-username ceiling and the per-address limit count in, in seconds. */
  windowSeconds: number
  /** Failed logins of one username from all addresses in a window before it is refused to all. */
  maxFailuresPerUser: number
  /** Login attempts from one address, whatever the usernames, in a window. */
  maxAttemptsPerAddress: number
}

/**
 * What a lockout shuts out until its window ends: one username from every address (its ceiling
 * reached), or one address whatever the username (its limit reached).
 */
export type Lockout = 'user' | 'address'

/**
 * Slows a password guesser without locking the owner out, in auth's database so every replica
 * counts the same attempts:
 *
 * - per username *and* address, the first `freeFailures` failures cost nothing; after them each
 *   attempt must wait twice as long as the one before (1 s, 2 s, 4 s… up to `maxDelaySeconds`).
 *   An attacker's address slows to a few guesses an hour; the owner, from another address, is
 *   not slowed at all. A success clears it. (The first wait is `firstDelaySeconds`, 1 s.)
 * - per address, `maxAttemptsPerAddress` attempts per window whatever the usernames (one address
 *   spraying many accounts).
 * - per username, a ceiling of `maxFailuresPerUser` failures per window from all addresses
 *   together, far above what one address can reach: only many addresses together can make it
 *   refuse the owner too, and only until the window ends.
 *
 * Every refusal is a 429 with `Retry-After`. An attempt counts as a failure of its pair as soon as
 * it is admitted, in one statement, so a burst of parallel guesses cannot all slip through; the
 * success of the owner clears it.
 */
export function loginThrottle(db: Kysely<Tables>, settings: ThrottleSettings) {
  const window = settings.windowSeconds
  const pairKey = (username: string, address: string) => `pair ${username} ${address}`
  const userKey = (username: string) => `user ${username}`
  const addressKey = (address: string) => `address ${address}`

  /** Seconds until `key`'s window ends (at least 1). */
  const windowLeft = async (key: string) => {
    const row = await db
      .selectFrom('login_attempts')
      .select(
        sql<number>`ceil(extract(epoch FROM window_start + ${window} * interval '1 second' - now()))`.as(
          'left',
        ),
      )
      .where('key', '=', key)
      .executeTakeFirst()
    return Math.max(1, Number(row?.left ?? 1))
  }

  /** Counts one event of `key` in its window: the count so far, or undefined (nothing counted) once `max` is reached. */
  async function count(key: string, max = 2 ** 31 - 1): Promise<number | undefined> {
    const { rows } = await sql<{ count: number }>`
      INSERT INTO login_attempts AS a (key, count, window_start, last_at) VALUES (${key}, 1, now(), now())
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN a.window_start <= now() - ${window} * interval '1 second' THEN 1 ELSE a.count + 1 END,
        window_start = CASE WHEN a.window_start <= now() - ${window} * interval '1 second' THEN now() ELSE a.window_start END,
        last_at = now()
      WHERE a.window_start <= now() - ${window} * interval '1 second' OR a.count < ${max}
      RETURNING count`.execute(db)
    return rows[0]?.count
  }

  return {
    /**
     * Takes one login attempt of `username` from `address`, or refuses it with 429: the address
     * is over its limit, the username over its ceiling, or this pair must still wait. Answers
     * `'address'` when this attempt was the address's last in its window: it is locked out now.
     */
    async admit(username: string, address: string): Promise<Lockout | undefined> {
      const attempts = await count(addressKey(address), settings.maxAttemptsPerAddress)
      if (attempts === undefined)
        throw new TooManyRequestsError(
          'too many login attempts from this address; try again later',
          await windowLeft(addressKey(address)),
        )
      const user = await db
        .selectFrom('login_attempts')
        .select('count')
        .where('key', '=', userKey(username))
        .where('window_start', '>', sql<Date>`now() - ${window} * interval '1 second'`)
        .executeTakeFirst()
      if ((user?.count ?? 0) >= settings.maxFailuresPerUser)
        throw new TooManyRequestsError(
          'too many failed logins for this user from many addresses; try again later',
          await windowLeft(userKey(username)),
        )
      // The pair's failures so far decide how long its next attempt must wait after the last one.
      const { rows } = await sql<{ count: number }>`
        INSERT INTO login_attempts AS a (key, count, window_start, last_at) VALUES (${pairKey(username, address)}, 1, now(), now())
        ON CONFLICT (key) DO UPDATE SET count = a.count + 1, last_at = now()
        WHERE a.count < ${settings.freeFailures}
          OR a.last_at + least(${settings.firstDelaySeconds} * power(2, a.count - ${settings.freeFailures}), ${settings.maxDelaySeconds}) * interval '1 second' <= now()
        RETURNING count`.execute(db)
      if (rows.length === 0) {
        const pair = await db
          .selectFrom('login_attempts')
          .select(
            sql<number>`extract(epoch FROM last_at + least(${settings.firstDelaySeconds} * power(2, count - ${settings.freeFailures}), ${settings.maxDelaySeconds}) * interval '1 second' - now())`.as(
              'wait',
            ),
          )
          .where('key', '=', pairKey(username, address))
          .executeTakeFirstOrThrow()
        throw new TooManyRequestsError(
          'too many failed logins for this user from this address; wait before trying again',
          Number(pair.wait),
        )
      }
      return attempts === settings.maxAttemptsPerAddress ? 'address' : undefined
    },

    /**
     * The attempt failed (its pair counted it when admitted): one more for the username's
     * ceiling. Answers `'user'` when this failure reached it: the username is locked out now.
     */
    async failed(username: string): Promise<Lockout | undefined> {
      return (await count(userKey(username))) === settings.maxFailuresPerUser ? 'user' : undefined
    },

    /** The owner got in from this address: its failures there are forgiven. */
    async succeeded(username: string, address: string): Promise<void> {
      await db.deleteFrom('login_attempts').where('key', '=', pairKey(username, address)).execute()
    },

    /** Forgets counters nobody has touched for a day or a window, whichever is longer. */
    async sweep(): Promise<void> {
      const idle = Math.max(86_400, window, settings.maxDelaySeconds * 2)
      await db
        .deleteFrom('login_attempts')
        .where('last_at', '<', sql<Date>`now() - ${idle} * interval '1 second'`)
        .execute()
    },
  }
}

export type LoginThrottle = ReturnType<typeof loginThrottle>
