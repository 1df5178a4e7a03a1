import type { Preferences } from '@convoy/contracts'
import { legacyUserId } from '@convoy/access'
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
  // Every user gets an immutable id (tokens' `sub`; what other services key ownership by) and a
  // session generation (tokens' `gen`; a revocation raises it). Users from before get the id
  // every other service's migration computes from the same username (legacyUserId).
  '0002_user_ids_and_revocations': {
    async up(db) {
      await sql`ALTER TABLE users ADD COLUMN id uuid`.execute(db)
      const { rows } = await sql<{ username: string }>`SELECT username FROM users`.execute(db)
      for (const { username } of rows)
        await sql`UPDATE users SET id = ${legacyUserId(username)} WHERE username = ${username}`.execute(db)
      await sql`ALTER TABLE users ALTER COLUMN id SET NOT NULL`.execute(db)
      await sql`ALTER TABLE users ALTER COLUMN id SET DEFAULT gen_random_uuid()`.execute(db)
      await sql`ALTER TABLE users ADD COLUMN generation integer NOT NULL DEFAULT 1`.execute(db)
      await sql`ALTER TABLE refresh_tokens ADD COLUMN user_id uuid`.execute(db)
      await sql`UPDATE refresh_tokens SET user_id = users.id FROM users WHERE users.username = refresh_tokens.username`.execute(
        db,
      )
      // Its foreign key on users (username) goes with the column.
      await sql`ALTER TABLE refresh_tokens DROP COLUMN username`.execute(db)
      await sql`ALTER TABLE users DROP CONSTRAINT users_pkey`.execute(db)
      await sql`ALTER TABLE users ADD PRIMARY KEY (id)`.execute(db)
      await sql`ALTER TABLE users ADD CONSTRAINT users_username_key UNIQUE (username)`.execute(db)
      await sql`ALTER TABLE refresh_tokens ALTER COLUMN user_id SET NOT NULL`.execute(db)
      await sql`ALTER TABLE refresh_tokens ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`.execute(
        db,
      )
      await sql`CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id)`.execute(db)
      // Per user, the lowest session generation still valid, kept while a token issued before
      // it could still be alive; deleted users keep theirs here after their row is gone.
      await sql`CREATE TABLE revocations (
        user_id uuid PRIMARY KEY,
        generation integer NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      await sql`CREATE INDEX revocations_revoked_at_idx ON revocations (revoked_at)`.execute(db)
    },
  },
  // Login attempts, counted where every replica sees them (see login-throttle.ts); and whether a
  // user's password is good enough for an admin (12 characters), known whenever it is set or
  // typed at a login, so a promotion to admin can ask for a better one.
  '0003_login_attempts_admin_grade': {
    async up(db) {
      await sql`CREATE TABLE login_attempts (
        key text PRIMARY KEY,
        count integer NOT NULL,
        window_start timestamptz NOT NULL,
        last_at timestamptz NOT NULL
      )`.execute(db)
      await sql`CREATE INDEX login_attempts_last_at_idx ON login_attempts (last_at)`.execute(db)
      await sql`ALTER TABLE users ADD COLUMN admin_grade_password boolean NOT NULL DEFAULT false`.execute(db)
    },
  },
  // Each user's preferences (contracts' Preferences), one row once they saved some: defaults until
  // then. Columns rather than a document, so that the alert recipients are a plain query; they go
  // with their user.
  '0004_preferences': {
    async up(db) {
      await sql`CREATE TABLE preferences (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        units text NOT NULL CHECK (units IN ('metric', 'imperial')),
        time_zone text,
        clock text CHECK (clock IN ('24h', '12h')),
        absolute_time boolean NOT NULL,
        theme text NOT NULL CHECK (theme IN ('system', 'light', 'dark')),
        email_alerts boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
    },
  },
}

export interface Tables {
  users: {
    id: Generated<string>
    username: string
    password_hash: string
    role: 'admin' | 'dispatcher' | 'viewer'
    disabled: Generated<boolean>
    generation: Generated<number>
    admin_grade_password: Generated<boolean>
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
  refresh_tokens: {
    token_hash: string
    family: string
    user_id: string
    expires_at: Date
    used_at: Date | null
    revoked_at: Date | null
    created_at: Generated<Date>
  }
  preferences: {
    user_id: string
    units: Preferences['units']
    time_zone: string | null
    clock: Preferences['clock']
    absolute_time: boolean
    theme: Preferences['theme']
    email_alerts: boolean
    updated_at: Generated<Date>
  }
  revocations: { user_id: string; generation: number; revoked_at: Generated<Date> }
  login_attempts: { key: string; count: number; window_start: Date; last_at: Date }
  signing_keys: { kid: string; private_jwk: unknown; public_jwk: unknown; created_at: Generated<Date> }
}
