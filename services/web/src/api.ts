import type { NewUser, UserChanges } from '@convoy/contracts'
import { apiError } from './api-error.ts'
import { isVehicle } from './frames.ts'
import type { Position, User, Vehicle, VehicleHistory } from './types.ts'

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
  const userUrl = (username: string) => `/api/auth/users/${encodeURIComponent(username)}`

  return {
    /** `GET /api/vehicles`: the latest state of every vehicle. */
    async vehicles(signal?: AbortSignal): Promise<Vehicle[]> {
      const body = await call('/api/vehicles', { signal })
      return Array.isArray(body) ? body.filter(isVehicle) : []
    },

    /** `GET /api/vehicles/{name}/history`: positions since `from`, oldest first. */
    async history(name: string, from: Date, signal?: AbortSignal): Promise<Position[]> {
      const query = new URLSearchParams({ from: from.toISOString(), limit: '5000' })
      const url = `/api/vehicles/${encodeURIComponent(name)}/history?${query}`
      const body = (await call(url, { signal })) as Partial<VehicleHistory>
      return Array.isArray(body.positions) ? body.positions : []
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
  }
}

export type Api = ReturnType<typeof createApi>
