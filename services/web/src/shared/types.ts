export type {
  Vehicle,
  Position,
  VehicleHistory,
  LiveFrame,
  LiveAuth,
  Me,
  Role,
  User,
  Media,
  MediaStatus,
  Notification,
  Email,
  MediaWithOwner,
  Preferences,
  WebConfig,
  VehicleReplay,
  VehicleTrips,
  VehicleStops,
  DailySummary,
  Trip,
  Stop,
  Geofence,
  GeofenceInput,
  GeofenceShape,
  FleetRules,
  FleetEvent,
  FleetEventKind,
} from '@convoy/contracts'

/** `[[south, west], [north, east]]` in degrees, as Leaflet takes it. */
export type Bounds = [[number, number], [number, number]]

/** The road drawing generated at build time from the recorded tracks (see build/roads.ts). */
export interface RoadMap {
  bounds: Bounds
  /** Where most tracks are: the initial view. */
  home: Bounds
  /** One polyline per track, `[lat, lng]` pairs. */
  roads: Array<Array<[number, number]>>
}

export { FLEET_EVENT_KINDS } from '@convoy/contracts'
