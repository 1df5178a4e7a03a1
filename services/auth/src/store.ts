import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { DEFAULT_PREFERENCES, type Preferences, type Role, type User } from '@convoy/contracts'
import type { Revocation } from '@convoy/access'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Tables } from './migrations.ts'

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex')

/** Who a session is for: what an access token says of its user. */
export interface SessionUser {
  id: string
  username: string
  role: Role
  generation: number
}

export type RefreshOutcome =
  | ({ ok: true; family: string } & SessionUser)
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'user disabled' }

/** A change of a user, and the revocation it made when it ended their sessions. */
export interface Changed {
  user: User
  revocation?: Revocation
}

/** How much a role may do: a change to a lower one ends the user's sessions, a raise does not. */
const RANK: Record<Role, number> = { viewer: 0, dispatcher: 1, admin: 2 }

const toUser = (row: { id: string; username: string; role: Role; disabled: boolean }): User => ({
  id: row.id,
  username: row.username,
  role: row.role,
  disabled: row.disabled,
})

/**
 * The auth service's data: users (an immutable id, a name, a role, a session generation), refresh
 * token families, and the revocations that may still matter.
 */
export function authStore(db: Kysely<Tables>) {
  /** Revokes every live refresh token of the families matching `where`. */
  const revokeWhere = (column: 'family' | 'user_id', value: string, trx: Kysely<Tables> = db) =>
    trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where(column, '=', value)
      .where('revoked_at', 'is', null)
      .execute()

  /**
   * Ends every session of a user, in the transaction `trx`: their refresh tokens are revoked and
   * their access tokens below `generation` are void (recorded here, announced by the caller).
   */
  async function revokeSessions(
    trx: Kysely<Tables>,
    userId: string,
    generation: number,
  ): Promise<Revocation> {
    await revokeWhere('user_id', userId, trx)
    await trx
      .insertInto('revocations')
      .values({ user_id: userId, generation })
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet({ generation, revoked_at: sql<Date>`now()` }),
      )
      .execute()
    return { userId, generation }
  }

  const lockAdmins = (trx: Kysely<Tables>) =>
    sql`SELECT pg_advisory_xact_lock(hashtext('admins'))`.execute(trx)

  return {
    findUser: (username: string) =>
      db
        .selectFrom('users')
        .select(['id', 'username', 'password_hash', 'role', 'disabled', 'generation', 'admin_grade_password'])
        .where('username', '=', username)
        .executeTakeFirst(),

    /** Whether there is any user at all (none before the first start created the first admin). */
    async hasUsers(): Promise<boolean> {
      return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined
    },

    async listUsers(): Promise<User[]> {
      const rows = await db
        .selectFrom('users')
        .select(['id', 'username', 'role', 'disabled'])
        .orderBy('username')
        .execute()
      return rows.map(toUser)
    },

    /** Creates a user with a new id; null if the name is taken. */
    async createUser(user: {
      username: string
      passwordHash: string
      adminGrade: boolean
      role: Role
    }): Promise<User | null> {
      const row = await db
        .insertInto('users')
        .values({
          username: user.username,
          password_hash: user.passwordHash,
          admin_grade_password: user.adminGrade,
          role: user.role,
        })
        .onConflict((conflict) => conflict.column('username').doNothing())
        .returning(['id', 'username', 'role', 'disabled'])
        .executeTakeFirst()
      return row ? toUser(row) : null
    },

    /**
     * Creates the first admin if there is no user at all; false if there already is one. Replicas
     * starting together take turns, so exactly one of them creates it.
     */
    createFirstAdmin: (username: string, passwordHash: string, adminGrade = true) =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('first_admin'))`.execute(trx)
        const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst()
        if (any) return false
        await trx
          .insertInto('users')
          .values({ username, password_hash: passwordHash, admin_grade_password: adminGrade, role: 'admin' })
          .execute()
        return true
      }),

    /**
     * Applies changes to a user, refusing any that would leave no enabled admin. A new password,
     * a lower role or disabling ends every session of the user: a new generation (every access
     * token before it is void) and their refresh tokens revoked, in the same transaction. A higher
     * role ends nothing: the next token (at the next refresh) carries it.
     * Becoming an admin needs a password good enough for one, already or in the same change.
     * Returns the user as it now is and the revocation, null if there is no such user, 'last admin'
     * or 'weak password' if refused.
     */
    updateUser: (
      username: string,
      changes: { role?: Role; password?: { hash: string; adminGrade: boolean }; disabled?: boolean },
    ): Promise<Changed | null | 'last admin' | 'weak password'> =>
      db.transaction().execute(async (trx) => {
        await lockAdmins(trx)
        const before = await trx
          .selectFrom('users')
          .select(['id', 'role', 'disabled', 'generation', 'admin_grade_password'])
          .where('username', '=', username)
          .executeTakeFirst()
        if (!before) return null
        const after = { role: changes.role ?? before.role, disabled: changes.disabled ?? before.disabled }
        const adminGrade = changes.password?.adminGrade ?? before.admin_grade_password
        if (after.role === 'admin' && before.role !== 'admin' && !adminGrade) return 'weak password'
        const wasAdmin = before.role === 'admin' && !before.disabled
        if (wasAdmin && (after.role !== 'admin' || after.disabled) && (await enabledAdmins(trx)) <= 1)
          return 'last admin'
        const revokes =
          changes.password !== undefined ||
          RANK[after.role] < RANK[before.role] ||
          (after.disabled && !before.disabled)
        const generation = revokes ? before.generation + 1 : before.generation
        const row = await trx
          .updateTable('users')
          .set({
            role: after.role,
            disabled: after.disabled,
            generation,
            ...(changes.password
              ? { password_hash: changes.password.hash, admin_grade_password: changes.password.adminGrade }
              : {}),
            updated_at: new Date(),
          })
          .where('id', '=', before.id)
          .returning(['id', 'username', 'role', 'disabled'])
          .executeTakeFirstOrThrow()
        return {
          user: toUser(row),
          ...(revokes ? { revocation: await revokeSessions(trx, before.id, generation) } : {}),
        }
      }),

    /**
     * Deletes a user: their sessions end with them (the revocation outlives the row while a token
     * of theirs could). False if there is none, 'last admin' if refused.
     */
    deleteUser: (username: string): Promise<Revocation | false | 'last admin'> =>
      db.transaction().execute(async (trx) => {
        await lockAdmins(trx)
        const user = await trx
          .selectFrom('users')
          .select(['id', 'role', 'disabled', 'generation'])
          .where('username', '=', username)
          .executeTakeFirst()
        if (!user) return false
        if (user.role === 'admin' && !user.disabled && (await enabledAdmins(trx)) <= 1) return 'last admin'
        const revocation = await revokeSessions(trx, user.id, user.generation + 1)
        await trx.deleteFrom('users').where('id', '=', user.id).execute()
        return revocation
      }),

    /**
     * Gives a user a new password of their own choosing: every session of theirs ends (the caller
     * starts a fresh one for the client that asked). Null when the user is gone.
     */
    changeOwnPassword: (
      userId: string,
      password: { hash: string; adminGrade: boolean },
    ): Promise<(SessionUser & { revocation: Revocation }) | null> =>
      db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('users')
          .set((eb) => ({
            password_hash: password.hash,
            admin_grade_password: password.adminGrade,
            generation: eb('generation', '+', 1),
            updated_at: new Date(),
          }))
          .where('id', '=', userId)
          .where('disabled', '=', false)
          .returning(['id', 'username', 'role', 'generation'])
          .executeTakeFirst()
        if (!row) return null
        return { ...row, revocation: await revokeSessions(trx, row.id, row.generation) }
      }),

    /**
     * What a login learns of the password it checked: a new hash of it (the cost settings
     * changed), whether it is good enough for an admin. The same password: no session ends.
     */
    notePassword: (userId: string, password: { hash?: string; adminGrade: boolean }) =>
      db
        .updateTable('users')
        .set({
          admin_grade_password: password.adminGrade,
          ...(password.hash ? { password_hash: password.hash } : {}),
        })
        .where('id', '=', userId)
        .execute(),

    /** Starts a refresh token family (a login) or continues one; returns the token, stored hashed. */
    async issueRefreshToken(
      userId: string,
      ttlSeconds: number,
      family: string = randomUUID(),
    ): Promise<string> {
      const token = randomBytes(32).toString('base64url')
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: sha256(token),
          family,
          user_id: userId,
          expires_at: new Date(Date.now() + ttlSeconds * 1000),
        })
        .execute()
      return token
    },

    /**
     * Uses a refresh token up. A token presented a second time (stolen and replayed, or replayed
     * by the thief after the owner used it) revokes its whole family; so does a token of a
     * disabled user. Exactly one of two concurrent uses of a token succeeds.
     */
    async useRefreshToken(token: string): Promise<RefreshOutcome> {
      const hash = sha256(token)
      const row = await db
        .selectFrom('refresh_tokens')
        .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
        .select([
          'family',
          'users.id',
          'username',
          'role',
          'generation',
          'disabled',
          'expires_at',
          'used_at',
          'revoked_at',
        ])
        .where('token_hash', '=', hash)
        .executeTakeFirst()
      if (!row) return { ok: false, reason: 'unknown' }
      if (row.revoked_at) return { ok: false, reason: 'revoked' }
      if (row.used_at) {
        await revokeWhere('family', row.family)
        return { ok: false, reason: 'reused' }
      }
      if (row.disabled) {
        await revokeWhere('family', row.family)
        return { ok: false, reason: 'user disabled' }
      }
      if (row.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' }
      const used = await db
        .updateTable('refresh_tokens')
        .set({ used_at: new Date() })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (Number(used.numUpdatedRows) !== 1) {
        await revokeWhere('family', row.family)
        return { ok: false, reason: 'reused' }
      }
      const { id, username, role, generation, family } = row
      return { ok: true, id, username, role, generation, family }
    },

    /** Ends the session a refresh token belongs to (logout); false if the token is unknown. */
    async revokeFamilyOf(token: string, userId: string): Promise<boolean> {
      const row = await db
        .selectFrom('refresh_tokens')
        .select('family')
        .where('token_hash', '=', sha256(token))
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (!row) return false
      await revokeWhere('family', row.family)
      return true
    },

    /** The revocations made since `since`: those a token still alive could be subject to. */
    async revocationsSince(since: Date): Promise<Revocation[]> {
      const rows = await db
        .selectFrom('revocations')
        .select(['user_id', 'generation'])
        .where('revoked_at', '>=', since)
        .execute()
      return rows.map((row) => ({ userId: row.user_id, generation: row.generation }))
    },

    /** The user's preferences: the defaults until they saved some. */
    async preferences(userId: string): Promise<Preferences> {
      const row = await db
        .selectFrom('preferences')
        .select(['units', 'time_zone', 'clock', 'absolute_time', 'theme', 'email_alerts'])
        .where('user_id', '=', userId)
        .executeTakeFirst()
      if (!row) return { ...DEFAULT_PREFERENCES }
      return {
        units: row.units,
        timeZone: row.time_zone,
        clock: row.clock,
        absoluteTime: row.absolute_time,
        theme: row.theme,
        emailAlerts: row.email_alerts,
      }
    },

    /**
     * Keeps the user's preferences, replacing any they had; false when the user is gone. Their
     * row is held meanwhile (`FOR KEY SHARE`), so a deletion at the same moment either waits and
     * takes the preferences along, or comes first and this finds nobody.
     */
    savePreferences: (userId: string, preferences: Preferences): Promise<boolean> =>
      db.transaction().execute(async (trx) => {
        const user = await trx
          .selectFrom('users')
          .select('id')
          .where('id', '=', userId)
          .forKeyShare()
          .executeTakeFirst()
        if (!user) return false
        const values = {
          units: preferences.units,
          time_zone: preferences.timeZone,
          clock: preferences.clock,
          absolute_time: preferences.absoluteTime,
          theme: preferences.theme,
          email_alerts: preferences.emailAlerts,
        }
        await trx
          .insertInto('preferences')
          .values({ user_id: userId, ...values })
          .onConflict((conflict) =>
            conflict.column('user_id').doUpdateSet({ ...values, updated_at: sql<Date>`now()` }),
          )
          .execute()
        return true
      }),

    /**
     * The enabled users of a role in `roles` who asked for fleet alerts by email, by username.
     */
    alertRecipients: (
      roles: readonly Role[],
    ): Promise<Array<{ userId: string; username: string; role: Role }>> =>
      db
        .selectFrom('preferences')
        .innerJoin('users', 'users.id', 'preferences.user_id')
        .select(['users.id as userId', 'users.username', 'users.role'])
        .where('preferences.email_alerts', '=', true)
        .where('users.disabled', '=', false)
        .where('users.role', 'in', roles)
        .orderBy('users.username')
        .execute(),

    /** Deletes refresh tokens that expired more than a day ago, and revocations older than `since`. */
    async deleteExpired(revocationsBefore: Date) {
      await db
        .deleteFrom('refresh_tokens')
        .where('expires_at', '<', new Date(Date.now() - 86_400_000))
        .execute()
      await db.deleteFrom('revocations').where('revoked_at', '<', revocationsBefore).execute()
    },
  }
}

async function enabledAdmins(trx: Kysely<Tables>): Promise<number> {
  const { count } = await trx
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .executeTakeFirstOrThrow()
  return Number(count)
}

export type AuthStore = ReturnType<typeof authStore>
