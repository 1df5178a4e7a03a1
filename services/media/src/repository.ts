import type { Media, MediaStatus, MediaWithOwner } from '@convoy/contracts'
import { sql, type Kysely } from '@convoy/platform/db'
import type { Tables } from './migrations.ts'

type Row = Pick<
  Tables['jobs'],
  'id' | 'owner_id' | 'owner_name' | 'filename' | 'size' | 'status' | 'error' | 'token'
> & {
  created_at: Date
  updated_at: Date
}

/** The user a job is for: their id (what ownership is keyed by) and their name (for emails). */
export interface Owner {
  id: string
  name: string
}

/** A job as the repository hands it out: the public `Media` plus what only media may see. */
export interface Job {
  owner: Owner
  token: string
  media: Media
}

const COLUMNS = [
  'id',
  'owner_id',
  'owner_name',
  'filename',
  'size',
  'status',
  'error',
  'token',
  'created_at',
  'updated_at',
] as const

function toJob(row: Row): Job {
  const media: Media = {
    id: row.id,
    filename: row.filename,
    size: Number(row.size),
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
  if (row.error !== null) media.error = row.error
  return { owner: { id: row.owner_id, name: row.owner_name }, token: row.token, media }
}

/**
 * Job metadata. Every read and change names the job's owner or is the pipeline's own; a deleted
 * job is invisible to all of them, and its row stays only until its files are removed.
 */
export function jobsRepository(db: Kysely<Tables>) {
  const live = () => db.selectFrom('jobs').select(COLUMNS).where('deleted_at', 'is', null)

  /** Moves a live job from one of `from` to `to`; null when it is gone or in another status. */
  async function transition(id: string, from: MediaStatus[], to: MediaStatus, error: string | null = null) {
    const row = await db
      .updateTable('jobs')
      .set({ status: to, error, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .where('status', 'in', from)
      .returning(COLUMNS)
      .executeTakeFirst()
    return row ? toJob(row) : null
  }

  return {
    async create(job: { id: string; owner: Owner; filename: string; size: number; token: string }) {
      const row = await db
        .insertInto('jobs')
        .values({
          id: job.id,
          owner_id: job.owner.id,
          owner_name: job.owner.name,
          filename: job.filename,
          size: job.size,
          token: job.token,
          status: 'uploaded',
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()
      return toJob(row)
    },

    /** A live job by id, whoever owns it (the pipeline's view). */
    async find(id: string): Promise<Job | null> {
      const row = await live().where('id', '=', id).executeTakeFirst()
      return row ? toJob(row) : null
    },

    /** The owner's job, or null for anyone else: others cannot tell it exists. */
    async findOwned(id: string, ownerId: string): Promise<Media | null> {
      const row = await live().where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst()
      return row ? toJob(row).media : null
    },

    /**
     * The newest `limit` live jobs of one owner, or of every owner (`'all'`: an admin's audit),
     * each with its owner's name.
     */
    async list(scope: { ownerId: string } | 'all', limit = 100): Promise<MediaWithOwner[]> {
      let query = live()
      if (scope !== 'all') query = query.where('owner_id', '=', scope.ownerId)
      const rows = await query.orderBy('created_at', 'desc').limit(limit).execute()
      return rows.map((row) => ({ ...toJob(row).media, ownerName: row.owner_name }))
    },

    converting: (id: string) => transition(id, ['uploaded'], 'converting'),
    /**
     * Ready, unless it failed or is gone; already ready is returned again (a redelivered result),
     * marked `redelivered`.
     */
    ready: (id: string) => settle(id, 'ready'),
    failed: (id: string, reason: string) => settle(id, 'failed', reason),

    async markPublished(id: string) {
      await db
        .updateTable('jobs')
        .set({ published: true, published_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute()
    },

    /**
     * Live jobs handed to the converters (`video.uploaded` confirmed) still uploaded or converting
     * `olderThanMs` after that and after their last change: their conversion was lost.
     */
    async stuck(olderThanMs: number, limit = 100) {
      const before = sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`
      const rows = await live()
        .where('status', 'in', ['uploaded', 'converting'])
        .where('published', '=', true)
        .where('updated_at', '<', before)
        .where('published_at', '<', before)
        .orderBy('updated_at')
        .limit(limit)
        .execute()
      return rows.map(toJob)
    },

    /**
     * How many live jobs are waiting for a converter (`uploaded`) or converting, by status: read
     * on every scrape, so only from the index of unfinished jobs (ended jobs are never counted).
     */
    async unfinishedByStatus(): Promise<Record<'uploaded' | 'converting', number>> {
      const rows = await db
        .selectFrom('jobs')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .where('status', 'in', ['uploaded', 'converting'])
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute()
      const counts = { uploaded: 0, converting: 0 }
      for (const row of rows) counts[row.status as keyof typeof counts] = Number(row.count)
      return counts
    },

    /** Live jobs whose `video.uploaded` was not confirmed by the broker for `olderThanMs`. */
    async unpublished(olderThanMs: number, limit = 100) {
      const rows = await live()
        .where('published', '=', false)
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
        .orderBy('created_at')
        .limit(limit)
        .execute()
      return rows.map(toJob)
    },

    /** Hides the owner's job at once; its files go next, then the row ({@link purge}). */
    async markDeleted(id: string, ownerId: string): Promise<boolean> {
      const result = await db
        .updateTable('jobs')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    /** Deleted jobs whose files may still be there. */
    async deleted(limit = 100): Promise<string[]> {
      const rows = await db
        .selectFrom('jobs')
        .select('id')
        .where('deleted_at', 'is not', null)
        .orderBy('deleted_at')
        .limit(limit)
        .execute()
      return rows.map((row) => row.id)
    },

    async purge(id: string) {
      await db.deleteFrom('jobs').where('id', '=', id).where('deleted_at', 'is not', null).execute()
    },
  }

  /** A converter's result applied: the job now in `status`, or already there (redelivered). */
  async function settle(id: string, status: 'ready' | 'failed', reason?: string) {
    const job = await transition(id, ['uploaded', 'converting'], status, reason)
    if (job) return { job, redelivered: false }
    const again = await already(id, status)
    return again ? { job: again, redelivered: true } : null
  }

  /** The live job if it is already in `status`: a redelivered result finds its work done. */
  async function already(id: string, status: MediaStatus) {
    const row = await live().where('id', '=', id).where('status', '=', status).executeTakeFirst()
    return row ? toJob(row) : null
  }
}

export type JobsRepository = ReturnType<typeof jobsRepository>
