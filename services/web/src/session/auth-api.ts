import type { Me, TokenPair } from '@convoy/contracts'
import { apiError, request } from '../shared/api-error.ts'

type Fetch = typeof fetch

/** `POST /api/auth/login`; rejects with an `ApiError` (401 wrong credentials, 429 with `retryAfter`). */
export async function login(fetcher: Fetch, username: string, password: string): Promise<TokenPair> {
  const response = await request(fetcher, '/api/auth/login', {
    method: 'POST',
    headers: {
      authorization: `Basic ${base64(`${username}:${password}`)}`,
      // Without it the 401 carries a Basic challenge, and the browser shows its own login dialog.
      'x-requested-with': 'fetch',
      accept: 'application/json',
    },
  })
  if (!response.ok) throw await apiError(response)
  return (await response.json()) as TokenPair
}

/** `POST /api/auth/refresh`: the next pair, or null when the refresh token is refused. */
export async function renew(fetcher: Fetch, refreshToken: string): Promise<TokenPair | null> {
  const response = await request(fetcher, '/api/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ refreshToken }),
  })
  if (response.status === 401 || response.status === 400) return null
  if (!response.ok) throw await apiError(response)
  return (await response.json()) as TokenPair
}

/** `POST /api/auth/logout`: revokes the refresh token's session. */
export async function logout(fetcher: Fetch, accessToken: string, refreshToken: string): Promise<void> {
  const response = await request(fetcher, '/api/auth/logout', {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  })
  if (!response.ok) throw await apiError(response)
}

/**
 * `POST /api/auth/me/password`: the user sets their own password; every other session of theirs
 * ends and this one gets the fresh pair. Rejects with an `ApiError` (403 the current password is
 * wrong, 400 the new one will not do, 429 too many tries).
 */
export async function changePassword(
  fetcher: Fetch,
  accessToken: string,
  passwords: { currentPassword: string; newPassword: string },
): Promise<TokenPair> {
  const response = await request(fetcher, '/api/auth/me/password', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(passwords),
  })
  if (!response.ok) throw await apiError(response)
  return (await response.json()) as TokenPair
}

/** `GET /api/auth/me`: who the token belongs to, and their role. */
export async function me(fetcher: Fetch, accessToken: string): Promise<Me> {
  const response = await request(fetcher, '/api/auth/me', {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  })
  if (!response.ok) throw await apiError(response)
  return (await response.json()) as Me
}

/** Base64 of the UTF-8 bytes (`btoa` alone takes Latin-1 only; a password may be any text). */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
}
