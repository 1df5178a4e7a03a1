import { legacyUserId } from '@convoy/access'
import type { FleetEvent } from '@convoy/contracts'
import { sql, type Generated, type JSONColumnType, type Migration } from '@convoy/platform/db'

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
  // Fleet alerts: one notification per fleet event for everyone of the roles that receive them
  // (no owner; its id is the event's, so an event handled again finds it), and one email per
  // recipient, unique per notification and recipient, whoever a redelivery finds.
  '0004_fleet_alerts': {
    async up(db) {
      await sql`ALTER TABLE notifications ALTER COLUMN owner_id DROP NOT NULL`.execute(db)
      await sql`ALTER TABLE notifications ALTER COLUMN media_id DROP NOT NULL`.execute(db)
      await sql`ALTER TABLE notifications ADD COLUMN fleet_event jsonb`.execute(db)
      await sql`ALTER TABLE notifications ADD CONSTRAINT notifications_owner_or_fleet CHECK (
        (owner_id IS NOT NULL AND media_id IS NOT NULL AND fleet_event IS NULL)
        OR (owner_id IS NULL AND media_id IS NULL AND fleet_event IS NOT NULL)
      )`.execute(db)
      // When its emails' recipients were settled: a job's owner at once; a fleet alert's
      // recipients once auth named them (null until then).
      await sql`ALTER TABLE notifications ADD COLUMN recipients_at timestamptz`.execute(db)
      await sql`UPDATE notifications SET recipients_at = created_at`.execute(db)
      await sql`CREATE INDEX notifications_fleet_created_idx ON notifications (created_at DESC, id DESC)
        WHERE owner_id IS NULL`.execute(db)

      // An email has an id of its own (one from before takes its notification's, the name of its
      // outbox file) and the user it is for.
      await sql`ALTER TABLE emails ADD COLUMN id uuid`.execute(db)
      await sql`ALTER TABLE emails ADD COLUMN recipient_id uuid`.execute(db)
      await sql`ALTER TABLE emails ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`.execute(db)
      await sql`UPDATE emails SET id = notification_id, recipient_id = notifications.owner_id,
        created_at = notifications.created_at
        FROM notifications WHERE notifications.id = emails.notification_id`.execute(db)
      await sql`ALTER TABLE emails ALTER COLUMN id SET NOT NULL`.execute(db)
      await sql`ALTER TABLE emails ALTER COLUMN recipient_id SET NOT NULL`.execute(db)
      await sql`ALTER TABLE emails DROP CONSTRAINT emails_pkey`.execute(db)
      await sql`ALTER TABLE emails ADD PRIMARY KEY (id)`.execute(db)
      await sql`ALTER TABLE emails ADD CONSTRAINT emails_notification_recipient_key
        UNIQUE (notification_id, recipient_id)`.execute(db)
      await sql`CREATE INDEX emails_recipient_created_idx ON emails (recipient_id, created_at DESC)`.execute(
        db,
      )
    },
  },
}

export interface Tables {
  notifications: {
    id: string
    /** The user it is for; null for a fleet alert, for everyone of the roles that receive them. */
    owner_id: string | null
    kind: string
    media_id: string | null
    /** The fleet event a fleet alert tells of, written as JSON. */
    fleet_event: JSONColumnType<FleetEvent | null, string | null, string | null>
    title: string
    body: string
    created_at: Generated<Date>
    pushed_at: Date | null
    recipients_at: Date | null
    claimed_by: string | null
    claimed_until: Date | null
  }
  emails: {
    id: string
    notification_id: string
    recipient_id: string
    recipient: string
    subject: string
    text: string
    message_id: string
    sent_at: Date | null
    attempts: Generated<number>
    created_at: Generated<Date>
  }
}
