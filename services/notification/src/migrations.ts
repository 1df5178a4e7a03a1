import { legacyUserId } from '@convoy/access'
import { sql, type Generated, type Migration } from '@convoy/platform/db'

export const migrations: Record<string, Migration> = {
  '0001_notifications_and_emails': {
    async up(db) {
      // One notification per job and kind: the unique key makes a redelivered or duplicated event
      // find the row its first delivery made. `claimed_*` is a lease: the one replica pushing and
      // mailing it right now, so two replicas never both do.
      await sql`CREATE TABLE notifications (
        id uuid PRIMARY KEY,
        owner text NOT NULL,
        kind text NOT NULL,
        media_id uuid NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        pushed_at timestamptz,
        claimed_by uuid,
        claimed_until timestamptz,
        UNIQUE (media_id, kind)
      )`.execute(db)
      await sql`CREATE INDEX notifications_owner_created_idx ON notifications (owner, created_at DESC)`.execute(
        db,
      )
      await sql`CREATE TABLE emails (
        notification_id uuid PRIMARY KEY REFERENCES notifications ON DELETE CASCADE,
        recipient text NOT NULL,
        subject text NOT NULL,
        text text NOT NULL,
        message_id text NOT NULL,
        sent_at timestamptz,
        attempts integer NOT NULL DEFAULT 0
      )`.execute(db)
    },
  },
  // Notifications by their owner's immutable user id, no longer by username: a user created later
  // under the same name sees nothing of the first one's. Notifications from before go to the id
  // auth's own migration gave the user of that name (legacyUserId).
  '0002_owner_ids': {
    async up(db) {
      await sql`ALTER TABLE notifications ADD COLUMN owner_id uuid`.execute(db)
      const { rows } = await sql<{ owner: string }>`SELECT DISTINCT owner FROM notifications`.execute(db)
      for (const { owner } of rows)
        await sql`UPDATE notifications SET owner_id = ${legacyUserId(owner)} WHERE owner = ${owner}`.execute(
          db,
        )
      await sql`ALTER TABLE notifications ALTER COLUMN owner_id SET NOT NULL`.execute(db)
      await sql`DROP INDEX notifications_owner_created_idx`.execute(db)
      await sql`ALTER TABLE notifications DROP COLUMN owner`.execute(db)
      await sql`CREATE INDEX notifications_owner_created_idx ON notifications (owner_id, created_at DESC)`.execute(
        db,
      )
    },
  },
  '0003_lease_holder_names_its_process': {
    async up(db) {
      // The holder of a lease names its process (host, pid, claim id), so that a restarted
      // notification can tell that the process that held a lease is gone and take it at once.
      await sql`ALTER TABLE notifications ALTER COLUMN claimed_by TYPE text`.execute(db)
    },
  },
}

export interface Tables {
  notifications: {
    id: string
    owner_id: string
    kind: string
    media_id: string
    title: string
    body: string
    created_at: Generated<Date>
    pushed_at: Date | null
    claimed_by: string | null
    claimed_until: Date | null
  }
  emails: {
    notification_id: string
    recipient: string
    subject: string
    text: string
    message_id: string
    sent_at: Date | null
    attempts: Generated<number>
  }
}
