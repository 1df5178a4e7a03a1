import { randomUUID } from 'node:crypto'
import type { Email, FleetEvent, Notification } from '@convoy/contracts'
import { sql, type Kysely, type Selectable } from '@convoy/platform/db'
import type { Tables } from './migrations.ts'

/** An email to record for a notification: for whom, at what address, with what words. */
export interface EmailDraft {
  /** The user it is for, by id: one email per notification and user. */
  recipientId: string
  to: string
  subject: string
  text: string
  /** Its Message-ID header, derived from what it tells of and whom: the same on every send. */
  messageId: string
}

/** A notification to record, and its emails when their recipients are known. */
export interface Draft {
  /** Its id when it has one already (a fleet alert's is its event's); else a new one is made. */
  id?: string
  /** The user it is for; null for a fleet alert, for everyone of the roles that receive them. */
  ownerId: string | null
  kind: string
  title: string
  body: string
  mediaId?: string
  fleetEvent?: FleetEvent
  /** Its emails; null while their recipients are not known (a fleet alert's, until auth says). */
  emails: EmailDraft[] | null
  /** When what it tells of began (ISO 8601): its emails' latency is counted from then. */
  since: string
}

/** An email recorded and not sent yet. */
export interface PendingEmail {
  id: string
  to: string
  subject: string
  text: string
  messageId: string
}

/** A notification whose lease is held: what is left to do for it. */
export interface Claimed {
  ownerId: string | null
  notification: Notification
  pushed: boolean
  /** False while a fleet alert's recipients are not known: auth is still to be asked. */
  recipientsKnown: boolean
  unsent: PendingEmail[]
}

const toNotification = (
  row: Pick<
    Selectable<Tables['notifications']>,
    'id' | 'kind' | 'title' | 'body' | 'media_id' | 'fleet_event' | 'created_at'
  >,
): Notification => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  ...(row.media_id ? { mediaId: row.media_id } : {}),
  ...(row.fleet_event ? { fleetEvent: row.fleet_event } : {}),
  createdAt: row.created_at.toISOString(),
})

const LISTED = ['id', 'kind', 'title', 'body', 'media_id', 'fleet_event', 'created_at'] as const

/** Newest first, as the lists answer: by time, then by id. */
const byNewest = (a: { created_at: Date; id: string }, b: { created_at: Date; id: string }) =>
  b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/**
 * The notification service's data: the notifications (a user's own, and the fleet alerts that are
 * everyone's of the roles that receive them), their emails, and what was done.
 */
export function notificationStore(db: Kysely<Tables>) {
  const unsentEmails = (notificationId: string, executor: Kysely<Tables> = db) =>
    executor
      .selectFrom('emails')
      .select(['id', 'recipient as to', 'subject', 'text', 'message_id as messageId'])
      .where('notification_id', '=', notificationId)
      .where('sent_at', 'is', null)
      .orderBy('recipient')
      .execute()

  const insertEmails = async (executor: Kysely<Tables>, notificationId: string, emails: EmailDraft[]) => {
    if (emails.length === 0) return
    await executor
      .insertInto('emails')
      .values(
        emails.map((email) => ({
          id: randomUUID(),
          notification_id: notificationId,
          recipient_id: email.recipientId,
          recipient: email.to,
          subject: email.subject,
          text: email.text,
          message_id: email.messageId,
        })),
      )
      .onConflict((conflict) => conflict.columns(['notification_id', 'recipient_id']).doNothing())
      .execute()
  }

  return {
    /**
     * Records a notification, and its emails when they are known, unless it is there already: a
     * job's notification of this kind, or a fleet alert of this id. Its id, and whether it is new.
     */
    record: (draft: Draft): Promise<{ id: string; created: boolean }> =>
      db.transaction().execute(async (trx) => {
        const id = draft.id ?? randomUUID()
        const inserted = await trx
          .insertInto('notifications')
          .values({
            id,
            owner_id: draft.ownerId,
            kind: draft.kind,
            media_id: draft.mediaId ?? null,
            fleet_event: draft.fleetEvent ? JSON.stringify(draft.fleetEvent) : null,
            title: draft.title,
            body: draft.body,
            recipients_at: draft.emails ? sql<Date>`now()` : null,
          })
          .onConflict((conflict) => conflict.doNothing())
          .returning('id')
          .executeTakeFirst()
        if (!inserted) {
          const existing = await trx
            .selectFrom('notifications')
            .select('id')
            .$if(draft.mediaId === undefined, (query) => query.where('id', '=', id))
            .$if(draft.mediaId !== undefined, (query) =>
              query.where('media_id', '=', draft.mediaId!).where('kind', '=', draft.kind),
            )
            .executeTakeFirstOrThrow()
          return { id: existing.id, created: false }
        }
        await insertEmails(trx, id, draft.emails ?? [])
        return { id, created: true }
      }),

    /**
     * Takes the lease on notification `id` for `holder`, for `leaseMs` (a holder may take its own
     * lease again, and `takeOver` names a holder known to be gone whose lease may be taken before
     * it runs out). Returns what is left to do, or, while another holder has it, who and for how long.
     */
    async claim(
      id: string,
      holder: string,
      leaseMs: number,
      takeOver?: string,
    ): Promise<Claimed | { heldBy: string | null; heldForMs: number }> {
      const row = await db
        .updateTable('notifications')
        .set({
          claimed_by: holder,
          claimed_until: sql<Date>`now() + ${leaseMs}::int * interval '1 millisecond'`,
        })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('claimed_until', 'is', null),
            eb('claimed_until', '<', sql<Date>`now()`),
            eb('claimed_by', '=', holder),
            ...(takeOver ? [eb('claimed_by', '=', takeOver)] : []),
          ]),
        )
        .returningAll()
        .executeTakeFirst()
      if (!row) {
        const held = await db
          .selectFrom('notifications')
          .select(sql<number>`greatest(0, extract(epoch FROM claimed_until - now()) * 1000)::int`.as('ms'))
          .select('claimed_by')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
        return { heldBy: held.claimed_by, heldForMs: held.ms }
      }
      return {
        ownerId: row.owner_id,
        notification: toNotification(row),
        pushed: row.pushed_at !== null,
        recipientsKnown: row.recipients_at !== null,
        unsent: await unsentEmails(id),
      }
    },

    /**
     * Records the emails of a notification whose recipients were not known, once per recipient
     * (a recipient who has one already keeps it), and marks its recipients known; its emails not
     * sent yet.
     */
    settleRecipients: (id: string, emails: EmailDraft[]): Promise<PendingEmail[]> =>
      db.transaction().execute(async (trx) => {
        await insertEmails(trx, id, emails)
        await trx
          .updateTable('notifications')
          .set({ recipients_at: sql<Date>`now()` })
          .where('id', '=', id)
          .where('recipients_at', 'is', null)
          .execute()
        return unsentEmails(id, trx)
      }),

    /** Gives the lease back, unless it has since passed to another holder. */
    async release(id: string, holder: string): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ claimed_by: null, claimed_until: null })
        .where('id', '=', id)
        .where('claimed_by', '=', holder)
        .execute()
    },

    async markPushed(id: string): Promise<void> {
      await db.updateTable('notifications').set({ pushed_at: new Date() }).where('id', '=', id).execute()
    },

    async countAttempt(emailId: string): Promise<void> {
      await db
        .updateTable('emails')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', emailId)
        .execute()
    },

    async markSent(emailId: string): Promise<void> {
      await db.updateTable('emails').set({ sent_at: new Date() }).where('id', '=', emailId).execute()
    },

    /**
     * The user's newest notifications first: their own and, with `fleetAlerts`, the fleet alerts.
     * Each of the two is read newest first by its own index, at most `limit`, then merged.
     */
    async notifications(userId: string, options: { fleetAlerts: boolean }, limit: number) {
      const newest = (owner: string | null) =>
        db
          .selectFrom('notifications')
          .select(LISTED)
          .where('owner_id', owner === null ? 'is' : '=', owner)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute()
      const [own, fleet] = await Promise.all([newest(userId), options.fleetAlerts ? newest(null) : []])
      return [...own, ...fleet].sort(byNewest).slice(0, limit).map(toNotification)
    },

    /** The user's newest emails first, sent or still waiting. */
    async emails(userId: string, limit: number): Promise<Email[]> {
      const rows = await db
        .selectFrom('emails')
        .innerJoin('notifications', 'notifications.id', 'emails.notification_id')
        .select(['emails.id', 'notifications.kind', 'recipient', 'subject', 'text', 'sent_at'])
        .where('recipient_id', '=', userId)
        .orderBy('emails.created_at', 'desc')
        .orderBy('emails.id', 'desc')
        .limit(limit)
        .execute()
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        to: row.recipient,
        subject: row.subject,
        text: row.text,
        ...(row.sent_at ? { sentAt: row.sent_at.toISOString() } : {}),
      }))
    },
  }
}

export type NotificationStore = ReturnType<typeof notificationStore>
