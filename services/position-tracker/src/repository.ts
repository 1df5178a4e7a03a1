import { sql, type Kysely } from '@convoy/platform/db'
import type { Position, PositionReport, Vehicle } from '@convoy/contracts'
import type { Tables } from './migrations.ts'
import { decidingPositions, latestState, type Stored } from './latest-state.ts'
import type { TimedPoint } from '@convoy/geo'
import { toPosition } from './to-position.ts'

type PositionRow = { time: Date; lat: number; lng: number }
/** History rows read per query. */
const HISTORY_PAGE = 1000
/** Rows read per query by the reads that derive from a whole range: fewer round trips. */
const DERIVING_PAGE = 10_000
const timedPoint = (row: PositionRow): TimedPoint => ({
  lat: row.lat,
  lng: row.lng,
  time: row.time.getTime(),
})

export function positionsRepository(db: Kysely<Tables>) {
  /**
   * A vehicle's positions in [from, to], oldest first, at most `limit`, `pageSize` at a time by
   * the primary key, each page starting after the last row of the one before.
   */
  async function* pages(
    name: string,
    range: { from: Date; to: Date; limit: number },
    pageSize: number,
  ): AsyncGenerator<TimedPoint[]> {
    // The last row's instant as the database holds it (microseconds; a Date keeps milliseconds).
    let last: string | undefined
    for (let left = range.limit; left > 0;) {
      const rows = await db
        .selectFrom('positions')
        .select(['time', 'lat', 'lng', sql<string>`time::text`.as('exact')])
        .where('vehicle_name', '=', name)
        .where('time', last ? '>' : '>=', last ? sql<Date>`${last}::timestamptz` : range.from)
        .where('time', '<=', range.to)
        .orderBy('time')
        .limit(Math.min(pageSize, left))
        .execute()
      if (rows.length === 0) return
      yield rows.map(timedPoint)
      left -= rows.length
      last = rows.at(-1)!.exact
      if (rows.length < pageSize) return
    }
  }

  return {
    /**
     * Stores a batch of reports in one transaction, idempotently, then recomputes the latest
     * state of each vehicle it touched from that vehicle's two newest positions, so reports that
     * arrive late, twice or out of order still leave the right latest state.
     * Returns the vehicles whose latest state changed.
     */
    async store(reports: PositionReport[]): Promise<{ inserted: number; changed: Vehicle[] }> {
      if (reports.length === 0) return { inserted: 0, changed: [] }
      const names = [...new Set(reports.map((r) => r.vehicle))].sort()
      return db.transaction().execute(async (trx) => {
        // One statement stores the batch's positions and locks its vehicles. Batches touching the
        // same vehicle take turns (another tracker replica may be storing its next position right now);
        // locks are taken in one global order, so they never deadlock. The batch travels as one
        // array per column, unnested into rows.
        const { rows: counts } = await sql<{ inserted: number }>`WITH input AS (
            SELECT * FROM unnest(${reports.map((r) => r.vehicle)}::text[], ${reports.map((r) => r.timestamp)}::timestamptz[],
                               ${reports.map((r) => r.lat)}::float8[], ${reports.map((r) => r.lng)}::float8[]) AS r(vehicle_name, time, lat, lng)),
          stored AS (
            INSERT INTO positions (vehicle_name, time, lat, lng) SELECT vehicle_name, time, lat, lng FROM input
            ON CONFLICT DO NOTHING RETURNING 1),
          locked AS (
            SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtext(vehicle_name) AS key FROM input ORDER BY key) k)
          SELECT (SELECT count(*) FROM stored)::int AS inserted, (SELECT count(*) FROM locked) AS locks`.execute(
          trx,
        )

        // A vehicle's row holds its newest stored position (rows change only under the lock above, and
        // this statement sees every batch committed before the lock was ours). When the batch
        // brings a newer position, as it almost always does, that row and the batch's reports decide
        // the next state: no need to search the history. Only a batch of late reports for a
        // vehicle needs its two newest positions from the history.
        const { rows: storedRows } = await sql<PositionRow & { name: string; heading: number }>`
          SELECT name, lat, lng, time, heading FROM vehicles WHERE name = ANY(${names}::text[])`.execute(trx)
        const stored = new Map<string, Stored>(
          storedRows.map((row) => [row.name, { position: timedPoint(row), heading: row.heading }]),
        )
        const reported = new Map<string, TimedPoint[]>(names.map((name) => [name, []]))
        for (const report of reports)
          reported
            .get(report.vehicle)!
            .push({ lat: report.lat, lng: report.lng, time: Date.parse(report.timestamp) })
        const deciding = new Map(
          names.map((name) => [name, decidingPositions(stored.get(name), reported.get(name)!)]),
        )
        const late = names.filter((name) => deciding.get(name)!.late)
        if (late.length > 0) {
          const { rows } = await sql<PositionRow & { name: string }>`SELECT v.name, p.time, p.lat, p.lng
            FROM unnest(${late}::text[]) AS v(name)
            CROSS JOIN LATERAL (SELECT time, lat, lng FROM positions WHERE vehicle_name = v.name ORDER BY time DESC LIMIT 2) p`.execute(
            trx,
          )
          for (const name of late) deciding.get(name)!.positions = []
          for (const row of rows) deciding.get(row.name)!.positions.push(timedPoint(row))
        }
        const vehicles = names.map((name) =>
          latestState(name, deciding.get(name)!.positions, stored.get(name)?.heading ?? 0),
        )
        const { rows: changed } = await sql<{
          name: string
        }>`INSERT INTO vehicles (name, lat, lng, speed_kmh, heading, time)
          SELECT name, lat, lng, "speedKmh", heading, "timestamp" FROM json_to_recordset(${JSON.stringify(vehicles)}::json)
            AS v(name text, lat float8, lng float8, "speedKmh" float8, heading float8, "timestamp" timestamptz)
          ON CONFLICT (name) DO UPDATE SET lat = excluded.lat, lng = excluded.lng, speed_kmh = excluded.speed_kmh,
            heading = excluded.heading, time = excluded.time
          WHERE excluded.time >= vehicles.time
            AND (vehicles.time, vehicles.speed_kmh, vehicles.heading) IS DISTINCT FROM (excluded.time, excluded.speed_kmh, excluded.heading)
          RETURNING name`.execute(trx)
        const changedNames = new Set(changed.map((c) => c.name))
        return {
          inserted: counts[0]!.inserted,
          changed: vehicles.filter((v) => changedNames.has(v.name)),
        }
      })
    },

    async list(): Promise<Vehicle[]> {
      const rows = await db.selectFrom('vehicles').selectAll().orderBy('name').execute()
      return rows.map(toVehicle)
    },

    async find(name: string): Promise<Vehicle | null> {
      const row = await db.selectFrom('vehicles').selectAll().where('name', '=', name).executeTakeFirst()
      return row ? toVehicle(row) : null
    },

    /**
     * Positions in [from, to], oldest first, each with the speed it was driving at, at most
     * `limit`, read `pageSize` at a time: a long history is never held whole in memory, whoever
     * asks for it.
     */
    async *historyPages(
      name: string,
      range: { from: Date; to: Date; limit: number },
      pageSize = HISTORY_PAGE,
    ): AsyncGenerator<Position[]> {
      let previous = await this.positionBefore(name, range.from)
      for await (const page of pages(name, range, pageSize)) {
        yield page.map((current) => {
          const position = toPosition(previous, current)
          previous = current
          return position
        })
      }
    },

    /** The whole of {@link historyPages} at once: for callers that want it in one array. */
    async history(name: string, range: { from: Date; to: Date; limit: number }): Promise<Position[]> {
      const positions: Position[] = []
      for await (const page of this.historyPages(name, range)) positions.push(...page)
      return positions
    },

    /**
     * Positions in [from, to], oldest first, at most `limit`, as the tracker's maths takes them:
     * for reads that derive something from a whole range (a replay, trips and stops).
     */
    async positions(name: string, range: { from: Date; to: Date; limit: number }): Promise<TimedPoint[]> {
      const positions: TimedPoint[] = []
      for await (const page of pages(name, range, DERIVING_PAGE)) for (const p of page) positions.push(p)
      return positions
    },

    /** The newest position before `time`, whose speed the next one's is computed from. */
    async positionBefore(name: string, time: Date): Promise<TimedPoint | undefined> {
      const row = await db
        .selectFrom('positions')
        .select(['time', 'lat', 'lng'])
        .where('vehicle_name', '=', name)
        .where('time', '<', time)
        .orderBy('time', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row && timedPoint(row)
    },

    /** Deletes up to `chunk` positions older than `cutoff`; returns how many it deleted. */
    async deleteOlderThan(cutoff: Date, chunk: number): Promise<number> {
      const result = await sql`DELETE FROM positions WHERE ctid IN (
        SELECT ctid FROM positions WHERE time < ${cutoff} LIMIT ${chunk})`.execute(db)
      return Number(result.numAffectedRows ?? 0)
    },
  }
}

export type PositionsRepository = ReturnType<typeof positionsRepository>

function toVehicle(row: Tables['vehicles']): Vehicle {
  return {
    name: row.name,
    lat: row.lat,
    lng: row.lng,
    speedKmh: row.speed_kmh,
    heading: row.heading,
    timestamp: row.time.toISOString(),
  }
}
