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
}

export interface Tables {
  positions: { vehicle: string; ts: Date; lat: number; lng: number }
  vehicles: { name: string; lat: number; lng: number; speed_kmh: number; heading: number; ts: Date }
}
