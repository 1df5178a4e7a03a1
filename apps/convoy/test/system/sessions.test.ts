/**
 * Sessions end everywhere when a user is disabled, deleted, demoted or their password reset, and a
 * user is their id, not their name — in the stack topology: every service its own process, real
 * PostgreSQL, RabbitMQ, ffmpeg and an SMTP server started here, and a second gateway replica.
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { openAsBlob } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Email, Media } from '@convoy/contracts'
import { eventually, makeTestVideo, startMailCatcher, type MailCatcher } from '@convoy/platform/testing'
import { spawnService, started } from '@convoy/system'
import { startTestStack, type TestStack, login, openLiveFeed } from '@convoy/system/testing'

describe('sessions and identities in the stack topology', () => {
  let dir: string
  let clip: string
  let smtp: MailCatcher
  let system: TestStack
  let admin: string
  const replicas: ChildProcess[] = []

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-sessions-'))
    clip = path.join(dir, 'clip.mp4')
    await makeTestVideo(clip, { seconds: 1 })
    smtp = await startMailCatcher()
    system = await startTestStack({
      skip: ['position-simulator'],
      serviceEnv: {
        auth: { LOGIN_MAX_ATTEMPTS_PER_IP: '30' },
        notification: { SMTP_PORT: String(smtp.port) },
      },
    })
    admin = await login(system.url)
  })
  after(async () => {
    for (const replica of replicas) if (replica.exitCode === null) replica.kill('SIGKILL')
    await system?.close()
    await smtp?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const call = (base: string, method: string, url: string, token: string, body?: object) =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body && JSON.stringify(body),
    })
  const api = (method: string, url: string, token: string, body?: object) =>
    call(system.url, method, `/api${url}`, token, body)
  const createUser = async (username: string, role: string) => {
    const password = `${username} pass phrase`
    const response = await api('POST', '/auth/users', admin, { username, password, role })
    assert.equal(response.status, 201, await response.clone().text())
    return password
  }

  /** A second gateway replica, as its own process, beside the stack's. */
  async function startGateway() {
    const auth = system.services.auth!
    const child = spawnService(
      'gateway',
      {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        OPS_PORT: '0',
        OPS_HOST: '127.0.0.1',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        AMQP_URL: system.amqpUrl,
        AUTH_URL: auth,
        AUTH_JWKS_URL: `${auth}/auth/.well-known/jwks.json`,
        AUTH_REVOCATIONS_URL: `${auth}/internal/revocations`,
        POSITION_TRACKER_URL: system.services['position-tracker'],
        FLEET_EVENTS_URL: system.services['fleet-events'],
        MEDIA_URL: system.services.media,
        NOTIFICATION_URL: system.services.notification,
        WEB_URL: system.services.web,
      },
      process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
    )
    replicas.push(child)
    const { url, opsUrl } = await started(child, 'gateway')
    await eventually(async () => (await fetch(`${opsUrl}/readyz`)).ok, 'the second gateway ready')
    return { child, url: url!, opsUrl }
  }

  test('disabling a user ends their session at once everywhere: every service, both gateways, the live feed, and a gateway that was down meanwhile', async () => {
    const password = await createUser('rita', 'dispatcher')
    const rita = await login(system.url, 'rita', password)
    const second = await startGateway()
    const feed = await openLiveFeed({ url: system.url, opsUrl: system.ops.gateway }, rita)
    const everywhere = [
      [system.url, '/api/vehicles'],
      [second.url, '/api/vehicles'],
      [system.services['position-tracker']!, '/vehicles'],
      [system.services['fleet-events']!, '/geofences'],
      [system.services.media!, '/media'],
      [system.services.notification!, '/notifications'],
      [system.services.auth!, '/auth/me'],
    ] as const
    for (const [base, url] of everywhere)
      assert.equal((await call(base, 'GET', url, rita)).status, 200, `${base}${url} before`)
    // The second gateway goes down before the change, and misses its announcement.
    second.child.kill('SIGKILL')
    await once(second.child, 'exit')

    assert.equal((await api('PATCH', '/auth/users/rita', admin, { disabled: true })).status, 200)
    const { code, reason } = await feed.closed
    assert.deepEqual([code, reason], [4401, 'the session has been revoked'])
    for (const [base, url] of everywhere.filter(([base]) => base !== second.url)) {
      await eventually(
        async () => (await call(base, 'GET', url, rita)).status === 401,
        `${base}${url} refuses the token`,
        5000,
      )
    }
    const restarted = await startGateway()
    const refused = await call(restarted.url, 'GET', '/api/vehicles', rita)
    assert.equal(refused.status, 401, 'refused by the gateway that was down, as soon as it is ready')
    assert.match(((await refused.json()) as { detail: string }).detail, /revoked/)
    restarted.child.kill('SIGTERM')
  })

  test('a disabled admin can neither undo its removal nor make an admin with the token it held', async () => {
    const password = await createUser('ada', 'admin')
    const ada = await login(system.url, 'ada', password)
    assert.equal((await api('PATCH', '/auth/users/ada', admin, { disabled: true })).status, 200)
    assert.equal((await api('PATCH', '/auth/users/ada', ada, { disabled: false })).status, 401)
    const backdoor = await api('POST', '/auth/users', ada, {
      username: 'backdoor',
      password: 'backdoor pass phrase',
      role: 'admin',
    })
    assert.equal(backdoor.status, 401)
    const users = (await (await api('GET', '/auth/users', admin)).json()) as Array<{ username: string }>
    assert.ok(!users.some((user) => user.username === 'backdoor'))
  })

  test("a name deleted and taken again owns nothing of the first user's: no upload, notification or email", async () => {
    const first = await login(system.url, 'alice', await createUser('alice', 'dispatcher'))
    const form = new FormData()
    form.append('file', await openAsBlob(clip), 'alice-first.mp4')
    const uploaded = await fetch(`${system.url}/api/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first}` },
      body: form,
    })
    assert.equal(uploaded.status, 202)
    const job = (await uploaded.json()) as Media
    await eventually(
      async () => {
        const emails = (await (await api('GET', '/notifications/emails', first)).json()) as Email[]
        return emails.some((email) => email.sentAt)
      },
      "the first alice's email sent",
      30_000,
    )

    assert.equal((await api('DELETE', '/auth/users/alice', admin)).status, 204)
    const second = await login(system.url, 'alice', await createUser('alice', 'dispatcher'))
    assert.deepEqual(await (await api('GET', '/media', second)).json(), [])
    assert.equal((await api('GET', `/media/${job.id}`, second)).status, 404)
    assert.equal((await api('GET', `/media/${job.id}/mp3`, second)).status, 404)
    assert.equal((await api('DELETE', `/media/${job.id}`, second)).status, 404)
    assert.deepEqual(await (await api('GET', '/notifications', second)).json(), [])
    assert.deepEqual(await (await api('GET', '/notifications/emails', second)).json(), [])
  })

  // Last: it uses up this address's login attempts.
  test('a client cannot dodge the login limit of its address by naming other ones in X-Forwarded-For', async () => {
    // The stack's auth allows 30 attempts per address and window; the tests before logged in too.
    const statuses: number[] = []
    for (let i = 0; i < 31; i++) {
      const response = await fetch(`${system.url}/api/auth/login`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`sprayed${i}:not the password`).toString('base64')}`,
          'x-forwarded-for': `10.20.${i >> 8}.${i & 255}`,
        },
      })
      statuses.push(response.status)
    }
    const firstRefusal = statuses.indexOf(429)
    assert.ok(firstRefusal > 0, `refused at last: ${statuses.join(' ')}`)
    assert.deepEqual(new Set(statuses.slice(firstRefusal)), new Set([429]), 'and from then on')
  })
})
