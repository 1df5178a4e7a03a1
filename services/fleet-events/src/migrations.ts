import { sql, type Generated, type Migration } from '@convoy/platform/db'

export const migrations: Record<string, Migration> = {
  '0001_geofences_rules_states_events': {
    async up(db) {
      await sql`CREATE TABLE geofences (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        shape jsonb NOT NULL,
        created_by_id uuid NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      // Raised by every change of a geofence, in its transaction: evaluators keep the geofences
      // compiled in memory and read them again only when this moved (one row read per batch).
      await sql`CREATE TABLE geofence_revision (
        id integer PRIMARY KEY CHECK (id = 1),
        revision bigint NOT NULL
      )`.execute(db)
      await sql`INSERT INTO geofence_revision (id, revision) VALUES (1, 0)`.execute(db)
      // The fleet's rules, one document; no row means the defaults.
      await sql`CREATE TABLE fleet_rules (
        id integer PRIMARY KEY CHECK (id = 1),
        rules jsonb NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db)
      // What evaluation remembers of each vehicle, changed only under the vehicle's lock: its
      // newest position evaluated, the geofences it is inside, and the episodes under way.
      await sql`CREATE TABLE vehicle_states (
        vehicle_name text PRIMARY KEY,
        time timestamptz NOT NULL,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        speed_kmh double precision,
        inside uuid[] NOT NULL DEFAULT '{}',
        overspeed_since timestamptz,
        overspeed_fired boolean NOT NULL DEFAULT false,
        stopped_since timestamptz,
        stopped_fired boolean NOT NULL DEFAULT false,
        signal_lost boolean NOT NULL DEFAULT false
      )`.execute(db)
      // The sweep's question: who has been silent since before the cutoff, and not yet said so.
      await sql`CREATE INDEX vehicle_states_silent_idx ON vehicle_states (time) WHERE NOT signal_lost`.execute(
        db,
      )
      // Every event once: the id is derived from what it is about, so a redelivered position or a
      // second sweep finds the row its first one made. `published_at` is the outbox's mark.
      await sql`CREATE TABLE events (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        vehicle_name text NOT NULL,
        time timestamptz NOT NULL,
        lat double precision NOT NULL,
        lng double precision NOT NULL,
        geofence_id uuid,
        geofence_name text,
        details jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`.execute(db)
      await sql`CREATE INDEX events_time_idx ON events (time DESC, id DESC)`.execute(db)
      await sql`CREATE INDEX events_vehicle_time_idx ON events (vehicle_name, time DESC)`.execute(db)
      await sql`CREATE INDEX events_unpublished_idx ON events (created_at) WHERE published_at IS NULL`.execute(
        db,
      )
    },
  },
}

export interface Tables {
  geofences: {
    id: string
    name: string
    shape: unknown
    created_by_id: string
    created_by: string
    created_at: Generated<Date>
  }
  geofence_revision: { id: number; revision: string }
  fleet_rules: { id: number; rules: unknown; updated_by: string; updated_at: Date }
  vehicle_states: {
    vehicle_name: string
    time: Date
    lat: number
    lng: number
    speed_kmh: number | null
    inside: string[]
    overspeed_since: Date | null
    overspeed_fired: boolean
    stopped_since: Date | null
    stopped_fired: boolean
    signal_lost: boolean
  }
  events: {
    id: string
    kind: string
    vehicle_name: string
    time: Date
    lat: number
    lng: number
    geofence_id: string | null
    geofence_name: string | null
    details: unknown
    created_at: Generated<Date>
    published_at: Date | null
  }
}
