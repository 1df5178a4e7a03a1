import { randomUUID } from 'node:crypto'
import type { Email, Notification } from '@convoy/contracts'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Draft } from './content.ts'
import type { Tables } from './migrations.ts'

/** A notification whose lease is held: what is left to do for it. */
export interface Claimed {
  ownerId: string
  notification: Notification
  pushed: boolean
  email: { recipient: string; subject: string; text: string; messageId: string; sent: boolean }
}

const toNotification = (row: {
  id: string
  kind: string
  title: string
  body: string
  media_id: string
  created_at: Date
}): Notification => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  mediaId: row.media_id,
  createdAt: row.created_at.toISOString(),
})

/** The notification service's data: each job's notification and its email, and what was done. */
export function notificationStore(db: Kysely<Tables>) {
  return {
    /** Records a notification and its email unless the job already has one of this kind; true if new. */
    record: (draft: Draft): Promise<boolean> =>
      db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('notifications')
          .values({
            id: randomUUID(),
            owner_id: draft.ownerId,
            kind: draft.kind,
            media_id: draft.mediaId,
            title: draft.title,
            body: draft.body,
          })
          .onConflict((conflict) => conflict.columns(['media_id', 'kind']).doNothing())
          .returning('id')
          .executeTakeFirst()
        if (!inserted) return false
        await trx
          .insertInto('emails')
          .values({
            notification_id: inserted.id,
            recipient: draft.email.recipient,
            subject: draft.title,
            text: draft.body,
            message_id: draft.email.messageId,
          })
          .execute()
        return true
      }),

    /**
     * Takes the lease on the notification of a job and kind for `holder`, for `leaseMs` (a holder
     * may take its own lease again, and `takeOver` names a holder known to be gone whose lease may
     * be taken before it runs out). Returns what is left to do, or, while another holder has it,
     * who and for how long.
     */
    async claim(
      key: { mediaId: string; kind: string },
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
        .where('media_id', '=', key.mediaId)
        .where('kind', '=', key.kind)
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
          .where('media_id', '=', key.mediaId)
          .where('kind', '=', key.kind)
          .executeTakeFirstOrThrow()
        return { heldBy: held.claimed_by, heldForMs: held.ms }
      }
      const email = await db
        .selectFrom('emails')
        .selectAll()
        .where('notification_id', '=', row.id)
        .executeTakeFirstOrThrow()
      return {
        ownerId: row.owner_id,
        notification: toNotification(row),
        pushed: row.pushed_at !== null,
        email: {
          recipient: email.recipient,
          subject: email.subject,
          text: email.text,
          messageId: email.message_id,
          sent: email.sent_at !== null,
        },
      }
    },

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

    async countAttempt(id: string): Promise<void> {
      await db
        .updateTable('emails')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('notification_id', '=', id)
        .execute()
    },

    async markSent(id: string): Promise<void> {
      await db.updateTable('emails').set({ sent_at: new Date() }).where('notification_id', '=', id).execute()
    },

    /** The owner's newest notifications first. */
    async notifications(ownerId: string, limit: number): Promise<Notification[]> {
      const rows = await db
        .selectFrom('notifications')
        .select(['id', 'kind', 'title', 'body', 'media_id', 'created_at'])
        .where('owner_id', '=', ownerId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute()
      return rows.map(toNotification)
    },

    /** The owner's newest emails first, sent or still waiting. */
    async emails(ownerId: string, limit: number): Promise<Email[]> {
      const rows = await db
        .selectFrom('emails')
        .innerJoin('notifications', 'notifications.id', 'emails.notification_id')
        .select(['emails.notification_id', 'recipient', 'subject', 'text', 'sent_at'])
        .where('notifications.owner_id', '=', ownerId)
        .orderBy('notifications.created_at', 'desc')
        .orderBy('notifications.id', 'desc')
        .limit(limit)
        .execute()
      return rows.map((row) => ({
        id: row.notification_id,
        to: row.recipient,
        subject: row.subject,
        text: row.text,
        ...(row.sent_at ? { sentAt: row.sent_at.toISOString() } : {}),
      }))
    },
  }
}

export type NotificationStore = ReturnType<typeof notificationStore>
