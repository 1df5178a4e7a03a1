/**
 * The system's test kit: what tests and benchmarks of the whole of Convoy share (a stack of every
 * service on fresh databases, the first admin's password, logging in, the live feed). The generic
 * helpers they build on (databases, vhosts, `eventually`) are `@convoy/platform/testing`.
 */
export { openLiveFeed, type LiveFeed } from './live-feed.ts'
export { startTestStack, type TestStack } from './test-stack.ts'

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
