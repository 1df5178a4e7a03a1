import { legacyUserId } from '@convoy/access'
import { sql, type Generated, type Migration } from '@convoy/platform/db'
import type { MediaStatus } from '@convoy/contracts'
import { cleanFilename } from './filename.ts'

export const migrations: Record<string, Migration> = {
  '0001_jobs': {
    async up(db) {
      await sql`CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        owner text NOT NULL,
        filename text NOT NULL,
        size bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('uploaded', 'converting', 'ready', 'failed')),
        error text,
        -- The capability the converter presents for this job's files. Kept as is, not hashed:
        -- an unconfirmed video.uploaded is published again with it (a new one would fail a copy
        -- of the first message that did reach the broker), and it opens nothing but these files.
        token text NOT NULL,
        -- False until the broker confirmed video.uploaded: the sweeper publishes it again.
        published boolean NOT NULL DEFAULT false,
        -- Set when the owner deletes the job; the row goes once its files are gone.
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      await sql`CREATE INDEX jobs_owner_idx ON jobs (owner, created_at DESC) WHERE deleted_at IS NULL`.execute(
        db,
      )
      await sql`CREATE INDEX jobs_sweep_idx ON jobs (created_at) WHERE NOT published OR deleted_at IS NOT NULL`.execute(
        db,
      )
    },
  },
  // Jobs stored before names were cleaned of invisible format characters (U+202E…) at upload.
  '0002_clean_filenames': {
    async up(db) {
      const { rows } = await sql<{ id: string; filename: string }>`SELECT id, filename FROM jobs`.execute(db)
      for (const row of rows) {
        const clean = cleanFilename(row.filename)
        if (clean !== row.filename)
          await sql`UPDATE jobs SET filename = ${clean} WHERE id = ${row.id}`.execute(db)
      }
    },
  },
  // Owners by their immutable user id (and their name, for their emails), no longer by username:
  // a user created later under the same name owns nothing of the first one's. Jobs from before
  // go to the id auth's own migration gave the user of that name (legacyUserId).
  '0003_owner_ids': {
    async up(db) {
      await sql`ALTER TABLE jobs ADD COLUMN owner_id uuid`.execute(db)
      const { rows } = await sql<{ owner: string }>`SELECT DISTINCT owner FROM jobs`.execute(db)
      for (const { owner } of rows)
        await sql`UPDATE jobs SET owner_id = ${legacyUserId(owner)} WHERE owner = ${owner}`.execute(db)
      await sql`ALTER TABLE jobs ALTER COLUMN owner_id SET NOT NULL`.execute(db)
      await sql`ALTER TABLE jobs RENAME COLUMN owner TO owner_name`.execute(db)
      await sql`DROP INDEX jobs_owner_idx`.execute(db)
      await sql`CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at DESC) WHERE deleted_at IS NULL`.execute(
        db,
      )
    },
  },
  '0004_stuck_jobs': {
    async up(db) {
      // When the broker confirmed video.uploaded: a job handed to the converters that long ago
      // without a result is stuck (its conversion was lost), however long it waited to be published.
      await sql`ALTER TABLE jobs ADD COLUMN published_at timestamptz`.execute(db)
      await sql`UPDATE jobs SET published_at = updated_at WHERE published`.execute(db)
      await sql`CREATE INDEX jobs_unfinished_idx ON jobs (updated_at)
        WHERE status IN ('uploaded', 'converting') AND deleted_at IS NULL`.execute(db)
    },
  },
  // Every user's jobs, newest first: an admin's audit (`GET /media?scope=all`).
  '0005_newest_jobs': {
    async up(db) {
      await sql`CREATE INDEX jobs_newest_idx ON jobs (created_at DESC) WHERE deleted_at IS NULL`.execute(db)
    },
  },
}

export interface Tables {
  jobs: {
    id: string
    owner_id: string
    owner_name: string
    filename: string
    size: string | number
    status: MediaStatus
    error: string | null
    token: string
    published: Generated<boolean>
    published_at: Date | null
    deleted_at: Date | null
    created_at: Generated<Date>
    updated_at: Generated<Date>
  }
}
