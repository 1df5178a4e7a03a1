import { Check } from 'typebox/value'
import {
  DEFAULT_PREFERENCES,
  MediaWithOwner,
  OSM_TILES,
  Preferences,
  WebConfig,
  type NewUser,
  type UserChanges,
} from '@convoy/contracts'
import { apiError } from './api-error.ts'
import { downloadName, mp3Name } from './download-name.ts'
import { isNotification, isPosition, isVehicle } from './frames.ts'
import type {
  DailySummary,
  FleetEvent,
  FleetEventKind,
  FleetRules,
  Geofence,
  GeofenceInput,
  Email,
  Media,
  Notification,
  Position,
  User,
  Vehicle,
  VehicleHistory,
  VehicleReplay,
  VehicleStops,
  VehicleTrips,
} from './types.ts'

/** A range of time, in ms since the epoch. */
export interface Range {
  from: number
  to: number
}

/** How the API is called: `fetch` with the session's access token (see `Session.fetch`). */
export type AuthorizedFetch = (url: string, init?: RequestInit) => Promise<Response>

/** The API calls of the app; each rejects with an `ApiError` carrying the server's problem detail. */
export function createApi(authorized: AuthorizedFetch) {
  async function call(url: string, init: RequestInit = {}): Promise<unknown> {
    const headers = new Headers(init.headers)
    headers.set('accept', 'application/json')
    if (typeof init.body === 'string') headers.set('content-type', 'application/json')
    const response = await authorized(url, { ...init, headers })
    if (!response.ok) throw await apiError(response)
    return response.status === 204 ? undefined : response.json()
  }
  const vehicleUrl = (name: string) => `/api/vehicles/${encodeURIComponent(name)}`
  const rangeQuery = ({ from, to }: Range) =>
    new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })
  const userUrl = (username: string) => `/api/auth/users/${encodeURIComponent(username)}`
  const mediaUrl = (id: string) => `/api/media/${encodeURIComponent(id)}`

  return {
    /** `GET /api/vehicles`: the latest state of every vehicle. */
    async vehicles(signal?: AbortSignal): Promise<Vehicle[]> {
      const body = await call('/api/vehicles', { signal })
      return Array.isArray(body) ? body.filter(isVehicle) : []
    },

    /** `GET /api/vehicles/{name}/history`: positions since `from`, oldest first. */
    async history(name: string, from: Date, signal?: AbortSignal): Promise<Position[]> {
      const query = new URLSearchParams({ from: from.toISOString(), limit: '5000' })
      const url = `${vehicleUrl(name)}/history?${query}`
      const body = (await call(url, { signal })) as Partial<Record<keyof VehicleHistory, unknown>>
      return Array.isArray(body.positions) ? body.positions.filter(isPosition) : []
    },

    /** `GET /api/vehicles/{name}/route`: the replay of a range, reduced on the server. */
    replay: (name: string, range: Range) =>
      call(`${vehicleUrl(name)}/route?${rangeQuery(range)}`) as Promise<VehicleReplay>,

    /** `GET /api/vehicles/{name}/trips`: the trips of a range, oldest first. */
    trips: (name: string, range: Range) =>
      call(`${vehicleUrl(name)}/trips?${rangeQuery(range)}`) as Promise<VehicleTrips>,

    /** `GET /api/vehicles/{name}/stops`: the stops of a range, oldest first. */
    stops: (name: string, range: Range) =>
      call(`${vehicleUrl(name)}/stops?${rangeQuery(range)}`) as Promise<VehicleStops>,

    /** `GET /api/vehicles/{name}/summary`: a local day in `timeZone`. */
    summary: (name: string, date: string, timeZone: string) =>
      call(`${vehicleUrl(name)}/summary?${new URLSearchParams({ date, timeZone })}`) as Promise<DailySummary>,

    /** A range's trips or stops as CSV, or its route as GPX: the file and the name to save it under. */
    async export(
      name: string,
      what: 'trips' | 'stops' | 'route',
      range: Range,
    ): Promise<{ blob: Blob; filename: string }> {
      const format = what === 'route' ? 'gpx' : 'csv'
      const response = await authorized(`${vehicleUrl(name)}/${what}?${rangeQuery(range)}&format=${format}`)
      if (!response.ok) throw await apiError(response)
      const filename = downloadName(response.headers.get('content-disposition'), `${name} ${what}.${format}`)
      // A blob keeps the CSV's byte-order mark, which spreadsheets need to read UTF-8.
      return { blob: await response.blob(), filename }
    },

    /** `GET /api/geofences`: every geofence. */
    geofences: () => call('/api/geofences') as Promise<Geofence[]>,

    /** `POST /api/geofences` (admins and dispatchers): a new geofence. */
    createGeofence: (input: GeofenceInput) =>
      call('/api/geofences', { method: 'POST', body: JSON.stringify(input) }) as Promise<Geofence>,

    /** `PUT /api/geofences/{id}` (admins and dispatchers): its new name and shape, both. */
    updateGeofence: (id: string, input: GeofenceInput) =>
      call(`/api/geofences/${encodeURIComponent(id)}`, {
        method: 'PUT',
        body: JSON.stringify(input),
      }) as Promise<Geofence>,

    /** `DELETE /api/geofences/{id}` (admins and dispatchers). */
    deleteGeofence: async (id: string): Promise<void> => {
      await call(`/api/geofences/${encodeURIComponent(id)}`, { method: 'DELETE' })
    },

    /** `GET /api/fleet-rules`: overspeed, stopped and no-signal rules. */
    fleetRules: () => call('/api/fleet-rules') as Promise<FleetRules>,

    /** `PUT /api/fleet-rules` (admins): the whole document. */
    saveFleetRules: (rules: FleetRules) =>
      call('/api/fleet-rules', { method: 'PUT', body: JSON.stringify(rules) }) as Promise<FleetRules>,

    /** `GET /api/events`: the newest fleet events first, of a kind or a vehicle if asked. */
    events: (filter: { kind?: FleetEventKind; vehicle?: string; limit?: number } = {}) => {
      const query = new URLSearchParams({ limit: String(filter.limit ?? 100) })
      if (filter.kind) query.set('kind', filter.kind)
      if (filter.vehicle) query.set('vehicle', filter.vehicle)
      return call(`/api/events?${query.toString()}`) as Promise<FleetEvent[]>
    },

    /** `GET /api/auth/users` (admin). */
    users: () => call('/api/auth/users') as Promise<User[]>,

    /** `POST /api/auth/users` (admin). */
    createUser: (user: NewUser) =>
      call('/api/auth/users', { method: 'POST', body: JSON.stringify(user) }) as Promise<User>,

    /** `PATCH /api/auth/users/{username}` (admin). */
    updateUser: (username: string, changes: UserChanges) =>
      call(userUrl(username), { method: 'PATCH', body: JSON.stringify(changes) }) as Promise<User>,

    /** `DELETE /api/auth/users/{username}` (admin). */
    deleteUser: async (username: string): Promise<void> => {
      await call(userUrl(username), { method: 'DELETE' })
    },

    /** `GET /api/media`: the caller's jobs (`mine`) or, for an admin, everyone's (`all`), newest first. */
    async media(scope: 'mine' | 'all' = 'mine'): Promise<MediaWithOwner[]> {
      const body = await call(scope === 'all' ? '/api/media?scope=all' : '/api/media')
      return Array.isArray(body) ? body.filter(isMediaWithOwner) : []
    },

    /** `GET /api/auth/me/preferences`: the signed-in user's, or the defaults if they never saved. */
    preferences: async (): Promise<Preferences> => {
      const body = await call('/api/auth/me/preferences')
      return Check(Preferences, body) ? body : { ...DEFAULT_PREFERENCES }
    },

    /** `PUT /api/auth/me/preferences`: the whole document; answers what the server kept. */
    savePreferences: (preferences: Preferences) =>
      call('/api/auth/me/preferences', {
        method: 'PUT',
        body: JSON.stringify(preferences),
      }) as Promise<Preferences>,

    /** `DELETE /api/media/{id}`: the job and both its files. */
    deleteMedia: async (id: string): Promise<void> => {
      await call(mediaUrl(id), { method: 'DELETE' })
    },

    /** `GET /api/media/{id}/mp3`: the MP3 and the name to save it under (409 while not ready). */
    async mp3(media: Pick<Media, 'id' | 'filename'>): Promise<{ blob: Blob; filename: string }> {
      const response = await authorized(`${mediaUrl(media.id)}/mp3`, { headers: { accept: 'audio/mpeg' } })
      if (!response.ok) throw await apiError(response)
      const filename = downloadName(response.headers.get('content-disposition'), mp3Name(media.filename))
      return { blob: await response.blob(), filename }
    },

    /** `GET /api/notifications`: the caller's notifications, newest first. */
    async notifications(): Promise<Notification[]> {
      const body = await call('/api/notifications')
      return Array.isArray(body) ? body.filter(isNotification) : []
    },

    /** `GET /api/notifications/emails`: the emails sent to the caller. */
    emails: () => call('/api/notifications/emails') as Promise<Email[]>,
  }
}

export type Api = ReturnType<typeof createApi>

const isMediaWithOwner = (value: unknown): value is MediaWithOwner => Check(MediaWithOwner, value)

/**
 * `GET /config.json`: the deployment's settings (the map tiles). Without an answer — the dev
 * server has none — OpenStreetMap's tiles, as before the setting existed.
 */
export async function loadWebConfig(): Promise<WebConfig> {
  try {
    const response = await fetch('/config.json', { headers: { accept: 'application/json' } })
    const body: unknown = response.ok ? await response.json() : null
    if (Check(WebConfig, body)) return body
  } catch {
    // Unreadable or unreachable: the defaults below.
  }
  return { ...OSM_TILES }
}
