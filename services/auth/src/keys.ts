import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose'
import { TOKEN_ALGORITHM } from '@convoy/access'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Logger } from '@convoy/platform/log'
import type { Tables } from './migrations.ts'

/** A new key is published this long before anyone signs with it, so every JWKS cache has it first. */
export const PUBLISH_LEAD_MS = 2 * 60_000
/** How often each replica re-reads the keys (another replica may have rotated them). */
const RELOAD_MS = 60_000
/** Clock skew allowed for on top of a retired key's last tokens. */
const SKEW_MS = 60_000

type SigningKey = { kid: string; key: Awaited<ReturnType<typeof importJWK>> }

export interface SigningKeys {
  /** Signs a JWT with the current key, `kid` in its header. */
  sign(claims: JWTPayload, build: (jwt: SignJWT) => SignJWT): Promise<string>
  /** The public keys verifiers may meet: `{ keys: [JWK] }`. */
  jwks(): { keys: JWK[] }
  /** Makes a new key if the newest is older than the rotation period, drops keys no token needs. */
  rotate(now?: number): Promise<void>
  /** Re-reads the keys from the database. */
  reload(now?: number): Promise<void>
  close(): void
}

/**
 * Ed25519 signing keys kept in the auth database, shared by every replica. Each replica signs
 * with the newest key that was published at least {@link PUBLISH_LEAD_MS} ago (the only key, on
 * the very first start); the JWKS lists every key until the tokens signed with it have expired.
 */
export async function signingKeys(
  db: Kysely<Tables>,
  options: { rotationDays: number; accessTtlSeconds: number; log: Logger },
): Promise<SigningKeys> {
  let current: SigningKey | undefined
  let published: JWK[] = []

  async function create(trx: Kysely<Tables>, now: number) {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, {
      crv: 'Ed25519',
      extractable: true,
    })
    const kid = randomUUID()
    const meta = { kid, alg: TOKEN_ALGORITHM, use: 'sig' }
    await trx
      .insertInto('signing_keys')
      .values({
        kid,
        private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }),
        public_jwk: JSON.stringify({ ...(await exportJWK(publicKey)), ...meta }),
        created_at: new Date(now),
      })
      .execute()
    options.log.info({ kid }, 'signing key created')
  }

  const keys: SigningKeys = {
    async rotate(now = Date.now()) {
      await db.transaction().execute(async (trx) => {
        // One replica at a time: the others then see its new key and make none.
        await sql`SELECT pg_advisory_xact_lock(hashtext('signing_keys'))`.execute(trx)
        const rows = await trx
          .selectFrom('signing_keys')
          .select(['kid', 'created_at'])
          .orderBy('created_at', 'desc')
          .execute()
        const newest = rows[0]
        if (!newest || now - newest.created_at.getTime() > options.rotationDays * 86_400_000) {
          await create(trx, now)
        }
        // A key replaced by a newer one in use stops signing when that one starts; once its last
        // token has expired it is of no use to anyone.
        const inUse = rows.find((row) => now - row.created_at.getTime() >= PUBLISH_LEAD_MS)
        if (inUse) {
          const retiredSince = inUse.created_at.getTime() + PUBLISH_LEAD_MS
          if (now > retiredSince + options.accessTtlSeconds * 1000 + SKEW_MS) {
            const { numDeletedRows } = await trx
              .deleteFrom('signing_keys')
              .where('created_at', '<', inUse.created_at)
              .executeTakeFirst()
            if (numDeletedRows > 0n)
              options.log.info({ deleted: Number(numDeletedRows) }, 'retired signing keys dropped')
          }
        }
      })
    },

    async reload(now = Date.now()) {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute()
      if (rows.length === 0) throw new Error('no signing key')
      const chosen = rows.find((row) => now - row.created_at.getTime() >= PUBLISH_LEAD_MS) ?? rows.at(-1)!
      const jwk = parseJwk(chosen.private_jwk)
      if (current?.kid !== chosen.kid) {
        current = { kid: chosen.kid, key: await importJWK(jwk, TOKEN_ALGORITHM) }
      }
      published = rows.map((row) => parseJwk(row.public_jwk))
    },

    async sign(claims, build) {
      if (!current) throw new Error('signing keys not loaded')
      return build(
        new SignJWT(claims).setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: current.kid, typ: 'JWT' }),
      ).sign(current.key)
    },

    jwks: () => ({ keys: published }),

    close() {
      clearInterval(timer)
    },
  }

  await keys.rotate()
  await keys.reload()
  const timer = setInterval(() => {
    keys
      .rotate()
      .then(() => keys.reload())
      .catch((error: unknown) =>
        options.log.warn({ err: error }, 'signing keys not refreshed; keeping the ones loaded'),
      )
  }, RELOAD_MS)
  timer.unref()
  return keys
}

/** jsonb comes back parsed from pg and as text from PGlite's pool in some paths: accept both. */
function parseJwk(value: unknown): JWK {
  return (typeof value === 'string' ? JSON.parse(value) : value) as JWK
}
