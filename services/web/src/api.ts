import { isVehicle } from './frames.ts'
import type { Position, Vehicle, VehicleHistory } from './types.ts'

/** A failed API call, with the problem+json `detail` when the server sent one. */
export class ApiError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
  }
}

async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal })
  if (!response.ok) {
    const problem = (await response.json().catch(() => null)) as { detail?: unknown; title?: unknown } | null
    const detail = typeof problem?.detail === 'string' ? problem.detail : response.statusText
    throw new ApiError(response.status, `${url.split('?')[0]}: ${response.status} ${detail}`)
  }
  return response.json()
}

/** `GET /api/vehicles`: the latest state of every vehicle. */
export async function fetchVehicles(signal?: AbortSignal): Promise<Vehicle[]> {
  const body = await getJson('/api/vehicles', signal)
  return Array.isArray(body) ? body.filter(isVehicle) : []
}

/** `GET /api/vehicles/{name}/history`: positions since `from`, oldest first. */
export async function fetchHistory(name: string, from: Date, signal?: AbortSignal): Promise<Position[]> {
  const query = new URLSearchParams({ from: from.toISOString(), limit: '5000' })
  const body = (await getJson(
    `/api/vehicles/${encodeURIComponent(name)}/history?${query}`,
    signal,
  )) as Partial<VehicleHistory>
  return Array.isArray(body.positions) ? body.positions : []
}
