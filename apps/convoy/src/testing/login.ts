/** The password tests give the first admin (`CONVOY_ADMIN_PASSWORD`) of the systems they start. */
export const TEST_ADMIN_PASSWORD = 'test admin password'

/** Logs in through a running system's gateway (or auth itself, with `path`); the access token. */
export async function login(
  baseUrl: string,
  username = 'admin',
  password = TEST_ADMIN_PASSWORD,
  path = '/api/auth/login',
): Promise<string> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  })
  if (!response.ok)
    throw new Error(`login as ${username} failed: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { accessToken: string }).accessToken
}
