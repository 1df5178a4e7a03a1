/**
 * The public contracts of Convoy: HTTP bodies and message bodies, as TypeBox schemas (validated
 * at runtime) with the TypeScript types derived from them, and the topic of each message: its
 * exchange, routing key and schemas, by which `publish` and `consume` are typed. A topic is a
 * plain object of the shape of the messaging kit's `Topic` (@convoy/platform/messaging), not
 * declared with it: neither package depends on the other, and the browser bundles this one alone.
 * docs/architecture.md has the prose.
 */
import Type, { type Static, type TProperties, type TSchema } from 'typebox'

/**
 * A name every user is shown (a vehicle's, a geofence's): 1–100 characters, none of them a control character (C0, DEL or C1) nor an invisible format
 * character that reorders or hides the text shown to every user (U+202E RIGHT-TO-LEFT OVERRIDE,
 * zero-width spaces, isolates, the byte-order mark, line and paragraph separators).
 */
const SHOWN_NAME = {
  minLength: 1,
  maxLength: 100,
  pattern:
    '^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff]+$',
} as const
export const VehicleName = Type.String(SHOWN_NAME)
const Latitude = Type.Number({ minimum: -90, maximum: 90 })
const Longitude = Type.Number({ minimum: -180, maximum: 180 })
/** A place, as the API takes it: nothing but its latitude and longitude. */
const Point = Type.Object({ lat: Latitude, lng: Longitude }, { additionalProperties: false })
/** An RFC 3339 date-time: `2026-03-01T08:00:00.000Z` (an offset instead of Z is accepted). */
export const Timestamp = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 / RFC 3339 date-time, UTC preferred',
})

const EARLIEST = Date.UTC(1970, 0, 1)
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * The instant a valid `Timestamp` names, in epoch milliseconds, or null when it names none that
 * both PostgreSQL and JavaScript can represent (a leap second `23:59:60`, the year 0000...).
 */
export function parseTimestamp(text: string): number | null {
  const time = Date.parse(text)
  return Number.isFinite(time) && time >= EARLIEST && time <= LATEST ? time : null
}

/** How far ahead of the receiver's clock a report may be stamped (clock skew between machines). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

/** Why a schema-valid report still cannot be stored, or undefined when it can. */
export function reportProblem(report: PositionReport, now = Date.now()): string | undefined {
  const time = parseTimestamp(report.timestamp)
  if (time === null) return 'timestamp is not a representable instant'
  if (time > now + MAX_CLOCK_SKEW_MS) return 'timestamp is in the future'
  return undefined
}

/** A simulator's report, version 1: where a vehicle was at a moment. */
export const PositionReport = Type.Object(
  { vehicle: VehicleName, lat: Latitude, lng: Longitude, timestamp: Timestamp },
  { additionalProperties: false },
)
export type PositionReport = Static<typeof PositionReport>

/** The simulator's position reports, stored by the tracker. */
export const positionReported = {
  exchange: 'positions',
  routingKey: 'position.reported',
  schema: PositionReport,
} as const

/** Latest known state of a vehicle. Speed in km/h, heading in degrees clockwise from north. */
export const Vehicle = Type.Object({
  name: VehicleName,
  lat: Type.Number(),
  lng: Type.Number(),
  speedKmh: Type.Number(),
  heading: Type.Number(),
  timestamp: Timestamp,
})
export type Vehicle = Static<typeof Vehicle>

export const Position = Type.Object({
  lat: Type.Number(),
  lng: Type.Number(),
  speedKmh: Type.Number(),
  timestamp: Timestamp,
})
export type Position = Static<typeof Position>

export const VehicleHistory = Type.Object({ name: VehicleName, positions: Type.Array(Position) })
export type VehicleHistory = Static<typeof VehicleHistory>

// ── Replays, trips, stops and daily summaries: derived from the positions when read ─────────

/**
 * How a replay was reduced: Douglas–Peucker on the synchronised distance (SED), so every position
 * it dropped lies within `maxErrorMetres` of where the kept ones put the vehicle at its time —
 * `toleranceMetres` or less, unless the cap of `maxPositions` was reached first.
 */
export const Reduction = Type.Object({
  algorithm: Type.Literal('sed-douglas-peucker'),
  toleranceMetres: Type.Number(),
  maxPositions: Type.Integer(),
  /** Positions stored in the range, and how many of them the replay kept. */
  originalPositions: Type.Integer(),
  keptPositions: Type.Integer(),
  maxErrorMetres: Type.Number(),
})
export type Reduction = Static<typeof Reduction>

/** What a read of a range answers with first: the vehicle and the range, its ends included. */
const OfRange = { name: VehicleName, from: Timestamp, to: Timestamp }

/**
 * `GET /api/vehicles/{name}/route?from&to`: a vehicle's positions over a range, each with the
 * speed it was driving at, reduced for drawing and playing back; the first and last positions of
 * the range are always kept.
 */
export const VehicleReplay = Type.Object({
  ...OfRange,
  positions: Type.Array(Position),
  reduction: Reduction,
})
export type VehicleReplay = Static<typeof VehicleReplay>

/**
 * What makes a stop and what ends a trip: a vehicle that stayed within `stopRadiusMetres` of
 * where it was for `minStopSeconds` or more was stopped; reports more than `maxGapSeconds` apart
 * end a trip.
 */
export const TripRules = Type.Object({
  stopRadiusMetres: Type.Number(),
  minStopSeconds: Type.Number(),
  maxGapSeconds: Type.Number(),
})
export type TripRules = Static<typeof TripRules>

/** Where and when a trip starts or ends: one of its positions. */
export const TripEnd = Type.Object({ timestamp: Timestamp, lat: Type.Number(), lng: Type.Number() })
export type TripEnd = Static<typeof TripEnd>

/**
 * A vehicle's drive from one stop (or silence) to the next. Cut by the range's edges: one under way
 * at `from` starts at its first position in the range (`startsBefore`), one still under way at
 * `to` ends at its last (`endsAfter`).
 */
export const Trip = Type.Object({
  start: TripEnd,
  end: TripEnd,
  distanceMetres: Type.Number(),
  durationSeconds: Type.Number(),
  maxSpeedKmh: Type.Number(),
  averageSpeedKmh: Type.Number(),
  startsBefore: Type.Boolean(),
  endsAfter: Type.Boolean(),
})
export type Trip = Static<typeof Trip>

/**
 * A place a vehicle stayed (the mean of its positions there). One already stopped at `from` arrives
 * at `from` (`startsBefore`); one still stopped at `to`, or at its last position known, has no
 * departure (`endsAfter`), and its duration runs to `to` or that last position.
 */
export const Stop = Type.Object({
  lat: Type.Number(),
  lng: Type.Number(),
  arrival: Timestamp,
  departure: Type.Union([Timestamp, Type.Null()]),
  durationSeconds: Type.Number(),
  startsBefore: Type.Boolean(),
  endsAfter: Type.Boolean(),
})
export type Stop = Static<typeof Stop>

/** `GET /api/vehicles/{name}/trips?from&to`, oldest first. */
export const VehicleTrips = Type.Object({
  ...OfRange,
  rules: TripRules,
  trips: Type.Array(Trip),
})
export type VehicleTrips = Static<typeof VehicleTrips>

/** `GET /api/vehicles/{name}/stops?from&to`, oldest first. */
export const VehicleStops = Type.Object({
  ...OfRange,
  rules: TripRules,
  stops: Type.Array(Stop),
})
export type VehicleStops = Static<typeof VehicleStops>

/**
 * `GET /api/vehicles/{name}/summary?date&timeZone`: a vehicle's local day, `from` its first instant
 * and `to` the next day's (23 or 25 hours apart on the days clocks change), from its trips and
 * stops cut at both ends.
 */
export const DailySummary = Type.Object({
  name: VehicleName,
  date: Type.String({ description: 'YYYY-MM-DD, in timeZone' }),
  timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/London' }),
  from: Timestamp,
  to: Timestamp,
  rules: TripRules,
  distanceMetres: Type.Number(),
  drivingSeconds: Type.Number(),
  stoppedSeconds: Type.Number(),
  trips: Type.Integer(),
  stops: Type.Integer(),
  maxSpeedKmh: Type.Number(),
  /** The day's first and last positions, null for a day without any. */
  firstPosition: Type.Union([Position, Type.Null()]),
  lastPosition: Type.Union([Position, Type.Null()]),
})
export type DailySummary = Static<typeof DailySummary>

/** The tracker's live update message: vehicles whose latest state changed. */
export const VehiclesUpdated = Type.Object({ vehicles: Type.Array(Vehicle) })
export type VehiclesUpdated = Static<typeof VehiclesUpdated>

/** The tracker's live vehicle updates, sent on by every gateway. */
export const vehiclesUpdated = {
  exchange: 'vehicles',
  routingKey: 'vehicles.updated',
  schema: VehiclesUpdated,
} as const

// ── Auth ────────────────────────────────────────────────────────────────────────────────────

/** What a user may do: everything; also upload videos; look. */
export const ROLES = ['admin', 'dispatcher', 'viewer'] as const
export const Role = Type.Enum(ROLES)
export type Role = (typeof ROLES)[number]
/**
 * Who may do more than look at the fleet, which every role may: media refuses an upload, auth the
 * user admin and fleet-events a change of geofences or rules, to any other role; the web app hides
 * from them what they may not use.
 */
export const MAY_UPLOAD: readonly Role[] = ['admin', 'dispatcher']
export const MAY_ADMINISTER_USERS: readonly Role[] = ['admin']
/** Who may draw, change and delete geofences (every role sees them and their events). */
export const MAY_EDIT_GEOFENCES: readonly Role[] = ['admin', 'dispatcher']
/** Who may change the fleet's rules (every role reads them). */
export const MAY_EDIT_FLEET_RULES: readonly Role[] = ['admin']

/**
 * 1–64 characters: lower-case letters, digits, `.`, `_`, `-` and `@`, starting with a letter or
 * digit. Login and user admin take names in any case and lower-case them first.
 */
export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._@-]*$' })
/**
 * 8–1024 characters (long passphrases welcome; the limit keeps hashing cheap to refuse). Auth
 * asks more of a new one: 12 characters for an admin, none of the most common passwords, not the
 * username (NIST SP 800-63B; docs/architecture.md#auth).
 */
export const Password = Type.String({ minLength: 8, maxLength: 1024 })

/** `POST /api/auth/me/password`: a user sets their own password; the answer is a fresh token pair. */
export const PasswordChange = Type.Object(
  { currentPassword: Type.String({ maxLength: 1024 }), newPassword: Password },
  { additionalProperties: false },
)
export type PasswordChange = Static<typeof PasswordChange>

/** `POST /api/auth/login` and `/api/auth/refresh` answer with a token pair. */
export const TokenPair = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: Type.Integer(),
  refreshToken: Type.String(),
})
export type TokenPair = Static<typeof TokenPair>

export const RefreshRequest = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) })

/**
 * A user's immutable id: the access token's `sub`, and what every service keys what a user owns
 * by. The username is a name people type; a deleted user's name can be taken again by someone who
 * inherits nothing.
 */
export const UserId = Type.String({ format: 'uuid' })

export const Me = Type.Object({ id: UserId, username: Type.String(), role: Role })
export type Me = Static<typeof Me>

export const User = Type.Object({ id: UserId, username: Type.String(), role: Role, disabled: Type.Boolean() })
export type User = Static<typeof User>

/** `user.revoked`, version 1. */
export const UserRevoked = Type.Object(
  { version: Type.Literal(1), userId: UserId, generation: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
)
export type UserRevoked = Static<typeof UserRevoked>

/**
 * Auth's event `user.revoked`: a user was disabled, deleted, demoted or changed password, and
 * every access token of theirs with a session generation below `generation` is void from now on,
 * in every service (tokens carry their generation in the claim `gen`).
 */
export const userRevoked = {
  exchange: 'auth',
  routingKey: 'user.revoked',
  schema: UserRevoked,
} as const

/**
 * The revocations that can still matter (made within an access token's lifetime), as auth serves
 * them to the verifiers at `GET /internal/revocations` (not forwarded by the gateway): what a
 * verifier that was down, or just started, missed.
 */
export const Revocations = Type.Object({
  revocations: Type.Array(Type.Object({ userId: UserId, generation: Type.Integer({ minimum: 1 }) })),
})
export type Revocations = Static<typeof Revocations>

export const NewUser = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Password, role: Role },
  { additionalProperties: false },
)
export type NewUser = Static<typeof NewUser>

export const UserChanges = Type.Object(
  { role: Type.Optional(Role), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
)
export type UserChanges = Static<typeof UserChanges>

/** The live feed's first client message, and any later one that hands over a fresh token. */
export const LiveAuth = Type.Object({ type: Type.Literal('auth'), token: Type.String({ maxLength: 8192 }) })
export type LiveAuth = Static<typeof LiveAuth>

// ── Preferences ─────────────────────────────────────────────────────────────────────────────

/**
 * An IANA time zone's name as written (`Europe/London`, `America/Argentina/Buenos_Aires`,
 * `Etc/GMT+5`, `UTC`): not an offset such as `+01:00`. Whether the zone exists is
 * {@link isTimeZone}'s to say (the schema cannot know).
 */
export const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
})

/** Whether `name` is a time zone this runtime's `Intl` knows (every browser's and Node's know the IANA ones). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * A user's preferences, kept by auth for them whatever device they sign in on
 * (`GET`/`PUT /api/auth/me/preferences`; the whole document each time). How the web app shows
 * things, and whether they are emailed fleet alerts.
 */
export const Preferences = Type.Object(
  {
    units: Type.Enum(['metric', 'imperial']),
    /** The zone times are shown in; null: the browser's own. */
    timeZone: Type.Union([TimeZone, Type.Null()]),
    /** null: as the locale writes times. */
    clock: Type.Union([Type.Enum(['24h', '12h']), Type.Null()]),
    /** Show the absolute time beside a relative one ("3 min ago, 14:02"). */
    absoluteTime: Type.Boolean(),
    theme: Type.Enum(['system', 'light', 'dark']),
    /**
     * Email me fleet alerts: geofence enter and exit, overspeed, long stops, lost signal. Only
     * users of a role in {@link MAY_RECEIVE_FLEET_ALERTS} get them; another's choice is kept.
     */
    emailAlerts: Type.Boolean(),
  },
  { additionalProperties: false },
)
export type Preferences = Static<typeof Preferences>

/** What a user who never saved any has. */
export const DEFAULT_PREFERENCES: Readonly<Preferences> = Object.freeze({
  units: 'metric',
  timeZone: null,
  clock: null,
  absoluteTime: false,
  theme: 'system',
  emailAlerts: false,
})

/** Why schema-valid preferences still cannot be kept, or undefined when they can. */
export function preferencesProblem(preferences: Preferences): string | undefined {
  if (preferences.timeZone !== null && !isTimeZone(preferences.timeZone))
    return `timeZone: ${JSON.stringify(preferences.timeZone)} is not a known time zone`
  return undefined
}

/** The roles fleet alerts are emailed to, when the user asked for them (`emailAlerts`). */
export const MAY_RECEIVE_FLEET_ALERTS: readonly Role[] = ['admin', 'dispatcher']

/**
 * Who gets fleet alerts by email: every enabled user of a role in {@link MAY_RECEIVE_FLEET_ALERTS}
 * with `emailAlerts` on, as auth serves them to notification at `GET /internal/alert-recipients`
 * (not forwarded by the gateway), ordered by username.
 */
export const AlertRecipients = Type.Array(Type.Object({ userId: UserId, username: Username, role: Role }))
export type AlertRecipients = Static<typeof AlertRecipients>

// ── Media ───────────────────────────────────────────────────────────────────────────────────

export const MediaStatus = Type.Union([
  Type.Literal('uploaded'),
  Type.Literal('converting'),
  Type.Literal('ready'),
  Type.Literal('failed'),
])
export type MediaStatus = Static<typeof MediaStatus>

/** A dashcam upload and its conversion: what `GET /api/media/{id}` answers. */
export const Media = Type.Object({
  id: Type.String({ format: 'uuid' }),
  filename: Type.String(),
  /** Bytes of the uploaded video. */
  size: Type.Integer({ minimum: 0 }),
  status: MediaStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Why the conversion failed, in words a user can read (only when `failed`). */
  error: Type.Optional(Type.String()),
})
export type Media = Static<typeof Media>

/** An item of `GET /api/media`: a job, and the username of the user who uploaded it. */
export const MediaWithOwner = Type.Object({ ...Media.properties, ownerName: Type.String() })
export type MediaWithOwner = Static<typeof MediaWithOwner>

/**
 * `GET /api/media?scope=`: `mine` (the default), the caller's own jobs; `all`, every user's, for
 * a role in {@link MAY_AUDIT_UPLOADS} only (403 for the others). Either way the newest first.
 */
export const MediaListQuery = Type.Object({ scope: Type.Optional(Type.Enum(['mine', 'all'])) })
export type MediaListQuery = Static<typeof MediaListQuery>

/**
 * Who may see every user's uploads (`scope=all`) and read any job and its MP3: an audit, read
 * only. Deleting stays the owner's alone.
 */
export const MAY_AUDIT_UPLOADS: readonly Role[] = ['admin']

/**
 * Room a multipart upload may take around its file (boundaries, part headers): a declared
 * `Content-Length` over the size limit plus this is refused before a byte is read.
 */
export const MULTIPART_ENVELOPE_BYTES = 64 * 1024

const JobId = Type.String({ format: 'uuid' })
/** A username, as version-1 messages named a job's owner (before users had ids). */
const OwnerName = Type.String({ minLength: 1, maxLength: 64 })

/**
 * `video.uploaded`, version 1: a video waits for conversion. The converter fetches it from
 * `GET {MEDIA_URL}/internal/media/{id}/video` and hands the MP3 back with
 * `PUT {MEDIA_URL}/internal/media/{id}/mp3`, both with `Authorization: Bearer <token>`: a random
 * capability for this one job (media keeps only its hash), so no service holds the other's files.
 */
const uploadedVideo = {
  id: JobId,
  filename: Type.String({ maxLength: 255 }),
  size: Type.Integer({ minimum: 0 }),
  token: Type.String({ minLength: 16, maxLength: 200 }),
}
export const VideoUploaded = Type.Object(
  { version: Type.Literal(2), ownerId: UserId, ...uploadedVideo },
  { additionalProperties: false },
)
export type VideoUploaded = Static<typeof VideoUploaded>

/** `video.uploaded` version 1, as media published it before users had ids: still accepted. */
export const VideoUploadedV1 = Type.Object(
  { version: Type.Literal(1), owner: OwnerName, ...uploadedVideo },
  { additionalProperties: false },
)
export type VideoUploadedV1 = Static<typeof VideoUploadedV1>

/** `mp3.converted`, version 1: the converter stored the job's MP3 with media. */
export const Mp3Converted = Type.Object(
  {
    version: Type.Literal(1),
    id: JobId,
    /** Bytes of the MP3. */
    size: Type.Integer({ minimum: 0 }),
    /** Seconds of audio, when ffprobe could tell. */
    durationSeconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)
export type Mp3Converted = Static<typeof Mp3Converted>

/** `conversion.failed`, version 1: the job cannot be converted; `reason` is shown to the user. */
export const ConversionFailed = Type.Object(
  { version: Type.Literal(1), id: JobId, reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
)
export type ConversionFailed = Static<typeof ConversionFailed>

/**
 * `media.updated`, `media.ready` and `media.failed`, version 2: a job of the user `ownerId`
 * (named `ownerName`) changed; the gateway forwards it to that user's live feed, `notification`
 * tells them about the last two (by email to their name, see docs/architecture.md).
 */
export const MediaEvent = Type.Object(
  { version: Type.Literal(2), ownerId: UserId, ownerName: OwnerName, media: Media },
  { additionalProperties: false },
)
export type MediaEvent = Static<typeof MediaEvent>

/** The same events version 1, owner by username: still accepted, the owner as `legacyUserId(owner)`. */
export const MediaEventV1 = Type.Object(
  { version: Type.Literal(1), owner: OwnerName, media: Media },
  { additionalProperties: false },
)
export type MediaEventV1 = Static<typeof MediaEventV1>

/**
 * The media pipeline's messages, on the exchange `media`. `media` publishes `video.uploaded`;
 * `converter` answers with `mp3.converted` or `conversion.failed`; `media` then publishes
 * `media.ready` or `media.failed` (and `media.updated` for every other change of a job's status,
 * for the live feed). Producers publish the newest version; consumers accept every version still
 * in flight (`accepts`).
 */
export const videoUploaded = {
  exchange: 'media',
  routingKey: 'video.uploaded',
  schema: VideoUploaded,
  accepts: Type.Union([VideoUploaded, VideoUploadedV1]),
} as const
export const mp3Converted = {
  exchange: 'media',
  routingKey: 'mp3.converted',
  schema: Mp3Converted,
} as const
export const conversionFailed = {
  exchange: 'media',
  routingKey: 'conversion.failed',
  schema: ConversionFailed,
} as const
/** Every version of a media event, one schema for the three topics (their consumers check it once). */
const MediaEvents = Type.Union([MediaEvent, MediaEventV1])
export const mediaUpdated = {
  exchange: 'media',
  routingKey: 'media.updated',
  schema: MediaEvent,
  accepts: MediaEvents,
} as const
export const mediaReady = {
  exchange: 'media',
  routingKey: 'media.ready',
  schema: MediaEvent,
  accepts: MediaEvents,
} as const
export const mediaFailed = {
  exchange: 'media',
  routingKey: 'media.failed',
  schema: MediaEvent,
  accepts: MediaEvents,
} as const

// ── Notifications ───────────────────────────────────────────────────────────────────────────

/** An in-app notification: what `GET /api/notifications` lists, newest first. */
export const Notification = Type.Object({
  id: Type.String(),
  /** `media.ready` or `media.failed`. */
  kind: Type.String(),
  title: Type.String(),
  body: Type.String(),
  /** The media job it is about. */
  mediaId: Type.Optional(Type.String()),
  createdAt: Timestamp,
})
export type Notification = Static<typeof Notification>

/** `notification.created`, version 2: pushed by the gateway to the live feed of `ownerId`. */
export const NotificationCreated = Type.Object(
  { version: Type.Literal(2), ownerId: UserId, notification: Notification },
  { additionalProperties: false },
)
export type NotificationCreated = Static<typeof NotificationCreated>

/** `notification.created` version 1, owner by username: still accepted. */
export const NotificationCreatedV1 = Type.Object(
  { version: Type.Literal(1), owner: OwnerName, notification: Notification },
  { additionalProperties: false },
)
export type NotificationCreatedV1 = Static<typeof NotificationCreatedV1>

/** Notification's pushes to the live feed, on the exchange `notifications`. */
export const notificationCreated = {
  exchange: 'notifications',
  routingKey: 'notification.created',
  schema: NotificationCreated,
  accepts: Type.Union([NotificationCreated, NotificationCreatedV1]),
} as const

/** An email as sent to the caller: `GET /api/notifications/emails` (the embedded outbox, too). */
export const Email = Type.Object({
  id: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  /** When the mail server (or the outbox) took it; absent while it waits for a retry. */
  sentAt: Type.Optional(Type.String()),
})
export type Email = Static<typeof Email>

// ── The live feed (`/api/live`) ─────────────────────────────────────────────────────────────

/**
 * A frame of the `/api/live` WebSocket feed: vehicles whose state changed (merged per vehicle,
 * one frame per flush), or an event of the signed-in user. Clients ignore types they do not know.
 */
export const LiveFrame = Type.Union([
  Type.Object({ type: Type.Literal('positions'), vehicles: Type.Array(Vehicle) }),
  Type.Object({ type: Type.Literal('media'), media: Media }),
  Type.Object({ type: Type.Literal('notification'), notification: Notification }),
])
export type LiveFrame = Static<typeof LiveFrame>

/** How the server closes a live feed (4000–4999 are the application's own; 4xxx mirror HTTP). */
export const LIVE_CLOSE = {
  goingAway: 1001,
  /** The first message was not `{"type":"auth","token":"…"}`, or a message was too large. */
  badMessage: 4400,
  /** No token in time, a bad or expired one, or a revoked session: renew it and connect again. */
  unauthorized: 4401,
  /** Token keys or revocations cannot be had right now: connect again shortly. */
  unavailable: 4503,
  /** The gateway has all the clients it takes. */
  full: 4013,
} as const

// ── Fleet events (geofences and rules) ──────────────────────────────────────────────────────

/** A geofence's name: shown to every user, unique among geofences. */
export const GeofenceName = Type.String(SHOWN_NAME)

/** The largest circle a geofence may be, in metres (a city's size; beyond, draw a polygon). */
export const MAX_RADIUS_METRES = 100_000
/** The fewest and most corners a polygon may have. */
export const MIN_POLYGON_POINTS = 3
export const MAX_POLYGON_POINTS = 500

/** A circle: every point within `radiusMetres` of its centre (great-circle distance). */
export const CircleShape = Type.Object(
  {
    type: Type.Literal('circle'),
    center: Point,
    radiusMetres: Type.Number({ minimum: 1, maximum: MAX_RADIUS_METRES }),
  },
  { additionalProperties: false },
)
/**
 * A polygon: its corners in order, the last joined back to the first (not repeated), edges drawn
 * straight on the map (in degrees of latitude and longitude). No edge may cross another.
 */
export const PolygonShape = Type.Object(
  {
    type: Type.Literal('polygon'),
    points: Type.Array(Point, { minItems: MIN_POLYGON_POINTS, maxItems: MAX_POLYGON_POINTS }),
  },
  { additionalProperties: false },
)
export const GeofenceShape = Type.Union([CircleShape, PolygonShape])
export type GeofenceShape = Static<typeof GeofenceShape>

/** `POST /api/geofences` and `PUT /api/geofences/{id}`: what a dispatcher draws. */
export const GeofenceInput = Type.Object(
  { name: GeofenceName, shape: GeofenceShape },
  { additionalProperties: false },
)
export type GeofenceInput = Static<typeof GeofenceInput>

/** A geofence as `GET /api/geofences` lists it. */
export const Geofence = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: GeofenceName,
  shape: GeofenceShape,
  /** The username of who drew it. */
  createdBy: Type.String(),
  createdAt: Timestamp,
})
export type Geofence = Static<typeof Geofence>

/**
 * The fleet's rules, one document (`GET`/`PUT /api/fleet-rules`); a rule that is `null` is off.
 * `overspeed`: above `limitKmh` for at least `forSeconds`; `stopped`: standing still for at least
 * `forMinutes`; `noSignal`: no position for `forMinutes`.
 */
export const FleetRules = Type.Object(
  {
    overspeed: Type.Union([
      Type.Object(
        {
          limitKmh: Type.Number({ minimum: 1, maximum: 500 }),
          forSeconds: Type.Integer({ minimum: 0, maximum: 3600 }),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    stopped: Type.Union([
      Type.Object(
        { forMinutes: Type.Integer({ minimum: 1, maximum: 1440 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    noSignal: Type.Union([
      Type.Object(
        { forMinutes: Type.Integer({ minimum: 1, maximum: 1440 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
)
export type FleetRules = Static<typeof FleetRules>

/** What each kind of fleet event is about. */
export const FLEET_EVENT_KINDS = [
  'geofence.entered',
  'geofence.exited',
  'overspeed',
  'stopped',
  'signal.lost',
] as const
export const FleetEventKind = Type.Enum(FLEET_EVENT_KINDS)
export type FleetEventKind = (typeof FLEET_EVENT_KINDS)[number]

/** The geofence an event is about, as it was named then. */
const GeofenceRef = Type.Object({ id: Type.String({ format: 'uuid' }), name: GeofenceName })

/** One kind of fleet event: what every event carries, its `kind`, its `geofence` and its `details`. */
function fleetEventOf<K extends TSchema, G extends TSchema, D extends TProperties>(
  kind: K,
  geofence: G,
  details: D,
) {
  return Type.Object(
    {
      version: Type.Literal(1),
      kind,
      /** Name-based (UUID version 5) from the kind, vehicle, geofence and the episode's start: a consumer dedupes by it. */
      id: Type.String({ format: 'uuid' }),
      vehicleName: VehicleName,
      /** When it happened: the position's time (for `signal.lost`, the last position's time plus `forMinutes`). */
      time: Timestamp,
      /** Where: the position's (for `signal.lost`, the last known one). */
      lat: Latitude,
      lng: Longitude,
      geofence,
      details: Type.Object(details, { additionalProperties: false }),
    },
    { additionalProperties: false },
  )
}

/**
 * `fleet.event`, version 1: something happened to a vehicle that a dispatcher wants to know.
 * `geofence.entered`/`geofence.exited` name the geofence; the others have `geofence: null` and say
 * why in `details`. At least once, with a deterministic `id`: a consumer keeps the ids it handled.
 */
export const FleetEvent = Type.Union([
  fleetEventOf(
    Type.Union([Type.Literal('geofence.entered'), Type.Literal('geofence.exited')]),
    GeofenceRef,
    {},
  ),
  fleetEventOf(Type.Literal('overspeed'), Type.Null(), {
    /** The speed at `time`, and the rule's limit and duration when it fired. */
    speedKmh: Type.Number(),
    limitKmh: Type.Number(),
    forSeconds: Type.Integer(),
    /** The position before the first one above the limit: where the episode began. */
    since: Timestamp,
  }),
  fleetEventOf(Type.Literal('stopped'), Type.Null(), {
    forMinutes: Type.Integer(),
    /** The position before the first one standing still: where the stop began. */
    since: Timestamp,
  }),
  fleetEventOf(Type.Literal('signal.lost'), Type.Null(), {
    forMinutes: Type.Integer(),
    /** The vehicle's last position's time. */
    lastSeen: Timestamp,
  }),
])
export type FleetEvent = Static<typeof FleetEvent>

/**
 * fleet-events' events, on the exchange `fleet-events`: one message per event, message id the
 * event's id. A consumer (notification, later) binds its own queue to `fleet.event`.
 */
export const fleetEvent = {
  exchange: 'fleet-events',
  routingKey: 'fleet.event',
  schema: FleetEvent,
} as const

// ── The web app's settings (`/config.json`) ─────────────────────────────────────────────────

/**
 * What the web service tells the browser app at `GET /config.json` (revalidated on every use):
 * settings of the deployment the build cannot know.
 */
export const WebConfig = Type.Object({
  /**
   * The map tiles, a Leaflet URL template (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`;
   * `{s}` for a subdomain); null: no tiles at all, the app draws its own roads.
   */
  tileUrl: Type.Union([Type.String(), Type.Null()]),
  /** The tiles' credit, HTML as the operator wrote it (Leaflet shows it as such); empty without tiles. */
  tileAttribution: Type.String(),
})
export type WebConfig = Static<typeof WebConfig>

/**
 * OpenStreetMap's own tiles: the default map, with the credit they must carry
 * (www.openstreetmap.org/copyright). The `attr-long` part is left out on narrow screens by the app.
 */
export const OSM_TILES: Readonly<{ tileUrl: string; tileAttribution: string }> = Object.freeze({
  tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  tileAttribution:
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a><span class="attr-long"> contributors</span>',
})
