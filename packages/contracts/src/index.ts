/**
 * The public contracts of Convoy: HTTP bodies and message bodies, as TypeBox schemas (validated
 * at runtime) with the TypeScript types derived from them. See DESIGN.md for the prose.
 */
import Type, { type Static } from 'typebox'

/** Exchange and routing key of the simulator's position reports. */
export const POSITIONS_EXCHANGE = 'positions'
export const POSITION_REPORTED = 'position.reported'
/** Exchange and routing key of the tracker's live vehicle updates. */
export const VEHICLES_EXCHANGE = 'vehicles'
export const VEHICLES_UPDATED = 'vehicles.updated'

export const VehicleName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$' })
const Latitude = Type.Number({ minimum: -90, maximum: 90 })
const Longitude = Type.Number({ minimum: -180, maximum: 180 })
const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC' })

/** A simulator's report, version 1: where a vehicle was at a moment. */
export const PositionReport = Type.Object(
  { vehicle: VehicleName, lat: Latitude, lng: Longitude, timestamp: Timestamp },
  { additionalProperties: false },
)
export type PositionReport = Static<typeof PositionReport>

/** Latest known state of a vehicle. Speed in km/h, heading in degrees clockwise from north. */
export const Vehicle = Type.Object({
  name: Type.String(),
  lat: Type.Number(),
  lng: Type.Number(),
  speedKmh: Type.Number(),
  heading: Type.Number(),
  timestamp: Type.String(),
})
export type Vehicle = Static<typeof Vehicle>

export const Position = Type.Object({
  lat: Type.Number(),
  lng: Type.Number(),
  speedKmh: Type.Number(),
  timestamp: Type.String(),
})
export type Position = Static<typeof Position>

export const VehicleHistory = Type.Object({ name: Type.String(), positions: Type.Array(Position) })
export type VehicleHistory = Static<typeof VehicleHistory>

/** The tracker's live update message: vehicles whose latest state changed. */
export const VehiclesUpdated = Type.Object({ vehicles: Type.Array(Vehicle) })
export type VehiclesUpdated = Static<typeof VehiclesUpdated>

/** A frame of the `/api/live` WebSocket feed. */
export type LiveFrame = { type: 'positions'; vehicles: Vehicle[] }
