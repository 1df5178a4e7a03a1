import { sql, type Generated, type Migration } from '@convoy/platform/db'

export const migrations: Record<string, Migration> = {
  '0001_users_tokens_keys': {
    async up(db) {
      await sql`CREATE TABLE users (
        username text PRIMARY KEY,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'viewer')),
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      // Refresh tokens are stored as SHA-256 hashes: the table alone lets nobody in. Each login
      // starts a family; each refresh uses its token up and adds the next one to the family.
      await sql`CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        family uuid NOT NULL,
        username text NOT NULL REFERENCES users ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      await sql`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family)`.execute(db)
      await sql`CREATE INDEX refresh_tokens_username_idx ON refresh_tokens (username)`.execute(db)
      await sql`CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)`.execute(db)
      // Ed25519 key pairs as JWKs. Every replica signs with the newest key old enough to have been
      // published; the JWKS lists them all until the last token signed with each has expired.
      await sql`CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        private_jwk jsonb NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
    },
  },
}

export interface Tables {
  users: {
    username: string
    password_hash: string
    role: 'admin' | 'dispatcher' | 'viewer'
    disabled: Generated<boolean>
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  refresh_tokens: {
    token_hash: string
    family: string
    username: string
    expires_at: Date
    used_at: Date | null
    revoked_at: Date | null
    created_at: Generated<Date>
  }
  signing_keys: { kid: string; private_jwk: unknown; public_jwk: unknown; created_at: Generated<Date> }
}
