import { sql, type Migration } from '@convoy/platform/db'

export const migrations: Record<string, Migration> = {
  '0001_positions_and_vehicles': {
    async up(db) {
      // Every report, once: the key makes a redelivered or duplicated report change nothing.
      await sql`CREATE TABLE positions (
        vehicle text NOT NULL,
        ts timestamptz NOT NULL,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        PRIMARY KEY (vehicle, ts)
      )`.execute(db)
      // Retention deletes by age across all vehicles.
      await sql`CREATE INDEX positions_ts_idx ON positions (ts)`.execute(db)
      // Latest state per vehicle, so listing vehicles never scans history.
      await sql`CREATE TABLE vehicles (
        name text PRIMARY KEY,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        speed_kmh double precision NOT NULL,
        heading double precision NOT NULL,
        ts timestamptz NOT NULL
      )`.execute(db)
    },
  },
  // The columns take the names of the glossary (docs/architecture.md): a vehicle is known by its
  // name, and a position's instant is its time. A rename in place is safe here because nothing
  // was deployed with the old names; once a release has run in production, a rename goes in two
  // steps across two releases (add and fill, then drop), so that old replicas never meet a schema
  // they cannot read during a rolling update.
  '0002_glossary_names': {
    async up(db) {
      await sql`ALTER TABLE positions RENAME COLUMN vehicle TO vehicle_name`.execute(db)
      await sql`ALTER TABLE positions RENAME COLUMN ts TO time`.execute(db)
      await sql`ALTER INDEX positions_ts_idx RENAME TO positions_time_idx`.execute(db)
      await sql`ALTER TABLE vehicles RENAME COLUMN ts TO time`.execute(db)
    },
  },
}

export interface Tables {
  positions: { vehicle_name: string; time: Date; lat: number; lng: number }
  vehicles: { name: string; lat: number; lng: number; speed_kmh: number; heading: number; time: Date }
}
