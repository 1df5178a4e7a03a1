import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Role, User } from '@convoy/contracts'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Tables } from './migrations.ts'

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex')

export type RefreshOutcome =
  | { ok: true; username: string; role: Role; family: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'user disabled' }

/** The auth service's data: users and refresh token families. */
export function authStore(db: Kysely<Tables>) {
  const toUser = (row: { username: string; role: Role; disabled: boolean }): User => ({
    username: row.username,
    role: row.role,
    disabled: row.disabled,
  })

  /** Revokes every live refresh token of the families matching `where`. */
  const revokeWhere = (column: 'family' | 'username', value: string, trx: Kysely<Tables> = db) =>
    trx
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where(column, '=', value)
      .where('revoked_at', 'is', null)
      .execute()

  return {
    findUser: (username: string) =>
      db
        .selectFrom('users')
        .select(['username', 'password_hash', 'role', 'disabled'])
        .where('username', '=', username)
        .executeTakeFirst(),

    async listUsers(): Promise<User[]> {
      const rows = await db
        .selectFrom('users')
        .select(['username', 'role', 'disabled'])
        .orderBy('username')
        .execute()
      return rows.map(toUser)
    },

    /** Creates a user; false if the name is taken. */
    async createUser(user: { username: string; passwordHash: string; role: Role }): Promise<boolean> {
      const result = await db
        .insertInto('users')
        .values({ username: user.username, password_hash: user.passwordHash, role: user.role })
        .onConflict((conflict) => conflict.column('username').doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1
    },

    /**
     * Creates the first admin if there is no user at all; false if there already is one. Replicas
     * starting together take turns, so exactly one of them creates it.
     */
    createFirstAdmin: (username: string, passwordHash: string) =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('first_admin'))`.execute(trx)
        const any = await trx.selectFrom('users').select('username').limit(1).executeTakeFirst()
        if (any) return false
        await trx
          .insertInto('users')
          .values({ username, password_hash: passwordHash, role: 'admin' })
          .execute()
        return true
      }),

    /**
     * Applies changes to a user, refusing any that would leave no enabled admin. A new password,
     * a new role or disabling ends every session (refresh token family) of the user.
     * Returns the user as it now is, null if there is no such user, 'last admin' if refused.
     */
    updateUser: (
      username: string,
      changes: { role?: Role; passwordHash?: string; disabled?: boolean },
    ): Promise<User | null | 'last admin'> =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('admins'))`.execute(trx)
        const before = await trx
          .selectFrom('users')
          .select(['username', 'role', 'disabled'])
          .where('username', '=', username)
          .executeTakeFirst()
        if (!before) return null
        const after = { role: changes.role ?? before.role, disabled: changes.disabled ?? before.disabled }
        const wasAdmin = before.role === 'admin' && !before.disabled
        if (wasAdmin && (after.role !== 'admin' || after.disabled) && (await enabledAdmins(trx)) <= 1)
          return 'last admin'
        const row = await trx
          .updateTable('users')
          .set({
            role: after.role,
            disabled: after.disabled,
            ...(changes.passwordHash ? { password_hash: changes.passwordHash } : {}),
            updated_at: new Date(),
          })
          .where('username', '=', username)
          .returning(['username', 'role', 'disabled'])
          .executeTakeFirstOrThrow()
        if (changes.passwordHash || changes.role || changes.disabled)
          await revokeWhere('username', username, trx)
        return toUser(row)
      }),

    /** Deletes a user and their sessions; false if there is none, 'last admin' if refused. */
    deleteUser: (username: string): Promise<boolean | 'last admin'> =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('admins'))`.execute(trx)
        const user = await trx
          .selectFrom('users')
          .select(['role', 'disabled'])
          .where('username', '=', username)
          .executeTakeFirst()
        if (!user) return false
        if (user.role === 'admin' && !user.disabled && (await enabledAdmins(trx)) <= 1) return 'last admin'
        await trx.deleteFrom('users').where('username', '=', username).execute()
        return true
      }),

    setPasswordHash: (username: string, passwordHash: string) =>
      db.updateTable('users').set({ password_hash: passwordHash }).where('username', '=', username).execute(),

    /** Starts a refresh token family (a login) or continues one; returns the token, stored hashed. */
    async issueRefreshToken(
      username: string,
      ttlSeconds: number,
      family: string = randomUUID(),
    ): Promise<string> {
      const token = randomBytes(32).toString('base64url')
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: sha256(token),
          family,
          username,
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
        .innerJoin('users', 'users.username', 'refresh_tokens.username')
        .select([
          'family',
          'refresh_tokens.username',
          'expires_at',
          'used_at',
          'revoked_at',
          'role',
          'disabled',
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
      return { ok: true, username: row.username, role: row.role, family: row.family }
    },

    /** Ends the session a refresh token belongs to (logout); false if the token is unknown. */
    async revokeFamilyOf(token: string, username: string): Promise<boolean> {
      const row = await db
        .selectFrom('refresh_tokens')
        .select('family')
        .where('token_hash', '=', sha256(token))
        .where('username', '=', username)
        .executeTakeFirst()
      if (!row) return false
      await revokeWhere('family', row.family)
      return true
    },

    /** Deletes refresh tokens that expired more than a day ago. */
    deleteExpiredTokens: () =>
      db
        .deleteFrom('refresh_tokens')
        .where('expires_at', '<', new Date(Date.now() - 86_400_000))
        .executeTakeFirst(),
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
