import { randomUUID } from 'node:crypto'
import type {
  FleetEvent,
  FleetEventKind,
  FleetRules,
  Geofence,
  GeofenceInput,
  PositionReport,
} from '@convoy/contracts'
import { sql, type Kysely, type Selectable } from '@convoy/platform/db'
import { evaluate, signalLost, type Fence, type VehicleState } from './evaluate.ts'
import { containment } from './geometry.ts'
import type { Tables } from './migrations.ts'

/**
 * The rules in force until an admin sets others: a vehicle above 90 km/h for 30 s (faster than any
 * road the fleet drives in town, for longer than an overtaking takes), standing still for 10
 * minutes (longer than a delivery stop), silent for 5 minutes (a tunnel or a dead spot is shorter).
 */
export const DEFAULT_RULES: FleetRules = {
  overspeed: { limitKmh: 90, forSeconds: 30 },
  stopped: { forMinutes: 10 },
  noSignal: { forMinutes: 5 },
}

/** PostgreSQL's SQLSTATE for a unique key's violation: here, another geofence's name. */
const UNIQUE_VIOLATION = '23505'

/** Vehicles the sweep declares silent per transaction, at most. */
const SILENT_PER_SWEEP = 1000

export interface EventFilter {
  from?: Date
  to?: Date
  vehicle?: string
  kind?: FleetEventKind
  geofence?: string
  limit: number
}

/** Who changes a geofence or the rules: the signed-in user. */
export interface Author {
  userId: string
  username: string
}

/** The geofences compiled for evaluation, read again only when one changed (its revision moved). */
export interface FenceCache {
  current(db: Kysely<Tables>): Promise<readonly Fence[]>
}

export function fenceCache(): FenceCache {
  let revision: string | undefined
  let fences: Fence[] = []
  return {
    async current(db) {
      const { revision: now } = await db
        .selectFrom('geofence_revision')
        .select('revision')
        .executeTakeFirstOrThrow()
      if (now !== revision) {
        const rows = await db.selectFrom('geofences').select(['id', 'name', 'shape']).execute()
        fences = rows.map((row) => ({
          id: row.id,
          name: row.name,
          contains: containment(row.shape as Geofence['shape']),
        }))
        revision = now
      }
      return fences
    },
  }
}

export function fleetRepository(db: Kysely<Tables>) {
  const bumpRevision = (trx: Kysely<Tables>) =>
    sql`UPDATE geofence_revision SET revision = revision + 1 WHERE id = 1`.execute(trx)

  return {
    async geofences(): Promise<Geofence[]> {
      const rows = await db.selectFrom('geofences').selectAll().orderBy('name').execute()
      return rows.map(toGeofence)
    },

    /** A new geofence; null when another has its name. */
    async createGeofence(input: GeofenceInput, author: Author): Promise<Geofence | null> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('geofences')
          .values({
            id: randomUUID(),
            name: input.name,
            shape: JSON.stringify(input.shape),
            created_by_id: author.userId,
            created_by: author.username,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returningAll()
          .executeTakeFirst()
        if (row) await bumpRevision(trx)
        return row ? toGeofence(row) : null
      })
    },

    /** Gives geofence `id` a new name and shape: `missing` when there is none, `taken` when another has the name. */
    async replaceGeofence(id: string, input: GeofenceInput): Promise<Geofence | 'missing' | 'taken'> {
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .updateTable('geofences')
            .set({ name: input.name, shape: JSON.stringify(input.shape) })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst()
          if (!row) return 'missing'
          await bumpRevision(trx)
          return toGeofence(row)
        })
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return 'taken'
        throw error
      }
    },

    /** Deletes geofence `id`; false when there is none. */
    async deleteGeofence(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const { numDeletedRows } = await trx.deleteFrom('geofences').where('id', '=', id).executeTakeFirst()
        if (numDeletedRows > 0n) await bumpRevision(trx)
        return numDeletedRows > 0n
      })
    },

    rules: () => readRules(db),

    async setRules(rules: FleetRules, author: Author): Promise<FleetRules> {
      await sql`INSERT INTO fleet_rules (id, rules, updated_by) VALUES (1, ${JSON.stringify(rules)}, ${author.username})
        ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updated_by = excluded.updated_by, updated_at = now()`.execute(
        db,
      )
      return rules
    },

    /**
     * Evaluates a batch of reports in one transaction: each vehicle's positions in time order
     * against its stored state, under its lock; stores the events they fire (once: an event whose
     * id is already stored is not stored again) and the states they leave. Returns the events new
     * to the database, to be published once committed, and how many reports were evaluated or late.
     */
    async evaluate(
      reports: PositionReport[],
      fences: FenceCache,
    ): Promise<{ events: FleetEvent[]; evaluated: number; late: number }> {
      if (reports.length === 0) return { events: [], evaluated: 0, late: 0 }
      const names = [...new Set(reports.map((report) => report.vehicle))].sort()
      return db.transaction().execute(async (trx) => {
        // Batches touching the same vehicle take turns (this replica's or another's), locking in
        // one global order so they never deadlock; a vehicle not seen before has no row to lock.
        await sql`SELECT pg_advisory_xact_lock(key)
          FROM (SELECT DISTINCT hashtext(name) AS key FROM unnest(${names}::text[]) AS v(name) ORDER BY key) k`.execute(
          trx,
        )
        const rules = await readRules(trx)
        const fenceList = await fences.current(trx)
        // FOR UPDATE: the signal sweep skips the rows evaluation holds, and waits for nothing.
        const { rows } = await sql<Tables['vehicle_states']>`SELECT * FROM vehicle_states
          WHERE vehicle_name = ANY(${names}::text[]) ORDER BY vehicle_name FOR UPDATE`.execute(trx)
        const states = new Map(rows.map((row) => [row.vehicle_name, toState(row)]))
        const changed = new Set<string>()
        const events: FleetEvent[] = []
        let late = 0
        const inOrder = reports
          .map((report) => ({
            name: report.vehicle,
            point: { lat: report.lat, lng: report.lng, time: Date.parse(report.timestamp) },
          }))
          .sort((a, b) => a.point.time - b.point.time)
        for (const { name, point } of inOrder) {
          const result = evaluate(name, states.get(name), point, rules, fenceList)
          if (!result) {
            late++
            continue
          }
          states.set(name, result.state)
          changed.add(name)
          events.push(...result.events)
        }
        const stored = await insertEvents(trx, events)
        if (changed.size > 0)
          await upsertStates(
            trx,
            [...changed].map((name) => [name, states.get(name)!]),
          )
        return { events: stored, evaluated: reports.length - late, late }
      })
    },

    /**
     * Declares lost the signal of every vehicle silent for the rule's minutes (by the database's
     * clock) that was not declared so yet, once: the rows are taken `FOR UPDATE SKIP LOCKED`, so
     * sweeps of several replicas share them out and never wait on one another or on evaluation,
     * and a row, once marked, is not taken again until a position comes. Returns the new events.
     */
    async loseSignals(): Promise<FleetEvent[]> {
      const { noSignal } = await readRules(db)
      if (!noSignal) return []
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ vehicle_name: string; time: Date; lat: number; lng: number }>`
          SELECT vehicle_name, time, lat, lng FROM vehicle_states
          WHERE NOT signal_lost AND time < now() - make_interval(mins => ${noSignal.forMinutes})
          ORDER BY vehicle_name LIMIT ${SILENT_PER_SWEEP} FOR UPDATE SKIP LOCKED`.execute(trx)
        if (rows.length === 0) return []
        const events = rows.map((row) =>
          signalLost(
            row.vehicle_name,
            { lat: row.lat, lng: row.lng, time: row.time.getTime() },
            noSignal.forMinutes,
          ),
        )
        const stored = await insertEvents(trx, events)
        await sql`UPDATE vehicle_states SET signal_lost = true
          WHERE vehicle_name = ANY(${rows.map((row) => row.vehicle_name)}::text[])`.execute(trx)
        return stored
      })
    },

    /**
     * Publishes (with `publish`) the events not confirmed yet that `which` names — these ids, or
     * those stored more than `olderThanMs` ago, oldest first — and marks those the broker
     * confirmed, in one transaction that holds their rows (`FOR UPDATE SKIP LOCKED`): the outbox
     * right after a commit and the sweeps of every replica never publish one event at once, and
     * whoever comes after the commit finds it marked. Only a crash between the broker's confirm and
     * the commit publishes one twice (the sweep sends it again). Returns how many were confirmed
     * and how many failed (left for the sweep). The sweep takes at most `limit` at a time.
     */
    async publish(
      which: { ids: string[] } | { olderThanMs: number },
      publish: (event: FleetEvent) => Promise<void>,
      limit = 100,
    ): Promise<{ confirmed: number; failed: number }> {
      return db.transaction().execute(async (trx) => {
        const chosen =
          'ids' in which
            ? sql`id = ANY(${which.ids}::uuid[])`
            : sql`created_at < now() - make_interval(secs => ${which.olderThanMs / 1000})`
        const { rows } = await sql<Selectable<Tables['events']>>`SELECT * FROM events
          WHERE published_at IS NULL AND ${chosen}
          ORDER BY created_at LIMIT ${'ids' in which ? which.ids.length : limit} FOR UPDATE SKIP LOCKED`.execute(
          trx,
        )
        const results = await Promise.allSettled(rows.map((row) => publish(toEvent(row))))
        const confirmed = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((row) => row.id)
        if (confirmed.length > 0)
          await trx
            .updateTable('events')
            .set({ published_at: sql<Date>`now()` })
            .where('id', 'in', confirmed)
            .execute()
        return { confirmed: confirmed.length, failed: rows.length - confirmed.length }
      })
    },

    /** Events matching `filter`, newest first, at most `filter.limit`. */
    async events(filter: EventFilter): Promise<FleetEvent[]> {
      let query = db.selectFrom('events').selectAll()
      if (filter.from) query = query.where('time', '>=', filter.from)
      if (filter.to) query = query.where('time', '<=', filter.to)
      if (filter.vehicle !== undefined) query = query.where('vehicle_name', '=', filter.vehicle)
      if (filter.kind) query = query.where('kind', '=', filter.kind)
      if (filter.geofence) query = query.where('geofence_id', '=', filter.geofence)
      const rows = await query.orderBy('time', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
      return rows.map(toEvent)
    },
  }
}

export type FleetRepository = ReturnType<typeof fleetRepository>

async function readRules(db: Kysely<Tables>): Promise<FleetRules> {
  const row = await db.selectFrom('fleet_rules').select('rules').where('id', '=', 1).executeTakeFirst()
  return row ? (row.rules as FleetRules) : DEFAULT_RULES
}

/** Stores events whose id is not stored yet; returns those it stored. */
async function insertEvents(db: Kysely<Tables>, events: FleetEvent[]): Promise<FleetEvent[]> {
  if (events.length === 0) return []
  const rows = events.map((event) => ({
    id: event.id,
    kind: event.kind,
    vehicle_name: event.vehicleName,
    time: event.time,
    lat: event.lat,
    lng: event.lng,
    geofence_id: event.geofence?.id ?? null,
    geofence_name: event.geofence?.name ?? null,
    details: event.details,
  }))
  const { rows: stored } = await sql<{ id: string }>`INSERT INTO events
      (id, kind, vehicle_name, time, lat, lng, geofence_id, geofence_name, details)
    SELECT id, kind, vehicle_name, time, lat, lng, geofence_id, geofence_name, details
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS e(id uuid, kind text, vehicle_name text,
      time timestamptz, lat float8, lng float8, geofence_id uuid, geofence_name text, details jsonb)
    ON CONFLICT (id) DO NOTHING RETURNING id`.execute(db)
  const ids = new Set(stored.map((row) => row.id))
  return events.filter((event) => ids.has(event.id))
}

async function upsertStates(db: Kysely<Tables>, states: Array<[string, VehicleState]>): Promise<void> {
  const iso = (time: number | undefined) => (time === undefined ? null : new Date(time).toISOString())
  const rows = states.map(([name, state]) => ({
    vehicle_name: name,
    time: iso(state.position.time),
    lat: state.position.lat,
    lng: state.position.lng,
    speed_kmh: state.speedKmh,
    inside: `{${state.inside.join(',')}}`,
    overspeed_since: iso(state.overspeed?.since),
    overspeed_fired: state.overspeed?.fired ?? false,
    stopped_since: iso(state.stopped?.since),
    stopped_fired: state.stopped?.fired ?? false,
    signal_lost: state.signalLost,
  }))
  await sql`INSERT INTO vehicle_states (vehicle_name, time, lat, lng, speed_kmh, inside, overspeed_since,
      overspeed_fired, stopped_since, stopped_fired, signal_lost)
    SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json) AS s(vehicle_name text, time timestamptz,
      lat float8, lng float8, speed_kmh float8, inside uuid[], overspeed_since timestamptz, overspeed_fired boolean,
      stopped_since timestamptz, stopped_fired boolean, signal_lost boolean)
    ON CONFLICT (vehicle_name) DO UPDATE SET time = excluded.time, lat = excluded.lat, lng = excluded.lng,
      speed_kmh = excluded.speed_kmh, inside = excluded.inside, overspeed_since = excluded.overspeed_since,
      overspeed_fired = excluded.overspeed_fired, stopped_since = excluded.stopped_since,
      stopped_fired = excluded.stopped_fired, signal_lost = excluded.signal_lost`.execute(db)
}

function toState(row: Tables['vehicle_states']): VehicleState {
  const episode = (since: Date | null, fired: boolean) => (since ? { since: since.getTime(), fired } : null)
  return {
    position: { lat: row.lat, lng: row.lng, time: row.time.getTime() },
    speedKmh: row.speed_kmh,
    inside: row.inside,
    overspeed: episode(row.overspeed_since, row.overspeed_fired),
    stopped: episode(row.stopped_since, row.stopped_fired),
    signalLost: row.signal_lost,
  }
}

function toGeofence(row: Selectable<Tables['geofences']>): Geofence {
  return {
    id: row.id,
    name: row.name,
    shape: row.shape as Geofence['shape'],
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  }
}

function toEvent(row: Selectable<Tables['events']>): FleetEvent {
  return {
    version: 1,
    id: row.id,
    kind: row.kind,
    vehicleName: row.vehicle_name,
    time: row.time.toISOString(),
    lat: row.lat,
    lng: row.lng,
    geofence: row.geofence_id ? { id: row.geofence_id, name: row.geofence_name! } : null,
    details: row.details,
  } as FleetEvent
}
