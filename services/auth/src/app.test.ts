import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet } from 'jose'
import { createVerifier, noRevocations, type Revocation } from '@convoy/access'
import { databaseTargets } from '@convoy/platform/testing'
import { PUBLISH_LEAD_MS } from './keys.ts'
import {
  ADMIN_PASSWORD,
  authFixture,
  basic,
  type AuthFixture,
  type Pair,
  type Problem,
} from './test-support.ts'

for (const target of databaseTargets) {
  describe(`auth service on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let auth: AuthFixture
    let nextIp = 1
    /** A client address of its own for each test, so per-address limits never leak between tests. */
    const freshIp = () => `198.51.100.${nextIp++}`

    before(async () => {
      env = await target.create()
      auth = await authFixture(env.url, { trustProxy: '127.0.0.1' })
      assert.equal(auth.firstAdmin, true)
      assert.equal(await auth.store.createFirstAdmin('admin2', 'a hash'), false, 'only once')
    })
    after(async () => {
      await auth.close()
      await env.drop()
    })

    const login = (authorization: string | undefined, ip = freshIp(), headers: Record<string, string> = {}) =>
      auth.login(authorization, ip, headers)
    const as = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      auth.as(token, method, url, payload)
    const refresh = (refreshToken: string) => auth.refresh(refreshToken)
    let adminToken: string
    const adminLogin = async () => (await login(basic('admin', ADMIN_PASSWORD))).json<Pair>()

    test('login with Basic credentials returns a signed token pair that every service can verify', async () => {
      const response = await login(basic('Admin', ADMIN_PASSWORD)) // names are not case-sensitive
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['cache-control'], 'no-store')
      const pair = response.json<Pair>()
      assert.equal(pair.tokenType, 'Bearer')
      assert.equal(pair.expiresIn, 900)
      const header = decodeProtectedHeader(pair.accessToken)
      assert.deepEqual([header.alg, header.typ, typeof header.kid], ['EdDSA', 'JWT', 'string'])
      const claims = decodeJwt(pair.accessToken)
      assert.deepEqual(
        [claims.preferred_username, claims.role, claims.gen, claims.iss, claims.aud],
        ['admin', 'admin', 1, 'convoy', 'convoy-api'],
      )
      assert.match(
        String(claims.sub),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        'a random id',
      )
      assert.ok(Math.abs(claims.exp! - claims.iat! - 900) <= 1)

      const jwks = (await auth.app.inject('/auth/.well-known/jwks.json')).json<JSONWebKeySet>()
      assert.ok(
        jwks.keys.every((key) => key.kty === 'OKP' && !('d' in key)),
        'public keys only',
      )
      const verifier = createVerifier({
        keys: createLocalJWKSet(jwks),
        issuer: 'convoy',
        audience: 'convoy-api',
        revocations: noRevocations(),
      })
      assert.equal((await verifier.verify(pair.accessToken)).username, 'admin')
      assert.deepEqual((await as(pair.accessToken, 'GET', '/auth/me')).json(), {
        id: claims.sub,
        username: 'admin',
        role: 'admin',
      })
      adminToken = pair.accessToken
    })

    test('unknown user and wrong password get the same answer; so do SQL-looking names', async () => {
      const answers: unknown[] = []
      for (const [username, password] of [
        ['admin', 'wrong password!'],
        ['nobody', ADMIN_PASSWORD],
        ["admin' OR '1'='1", ADMIN_PASSWORD],
        ["admin'; DROP TABLE users; --", 'x'],
        ['admin', ''],
      ]) {
        const response = await login(basic(username!, password!))
        assert.equal(response.statusCode, 401, username)
        answers.push([response.headers['www-authenticate'], response.json<Problem>()])
      }
      assert.ok(
        answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0])),
        'identical answers',
      )
      assert.deepEqual(answers[0], [
        'Basic realm="convoy", charset="UTF-8"',
        {
          type: 'https://convoy.dev/problems/unauthorized',
          title: 'Unauthorized',
          status: 401,
          detail: 'wrong username or password',
        },
      ])
      assert.equal(
        (await login(basic('admin', ADMIN_PASSWORD))).statusCode,
        200,
        'the users table is still there',
      )
    })

    test('malformed Basic credentials are a 400 problem; none at all a 401 challenge', async () => {
      for (const [authorization, detail] of [
        ['Basic !!!not-base64!!!', /not base64/],
        [`Basic ${Buffer.from('admin').toString('base64')}`, /no colon/],
        ['Digest username="admin"', /not Basic/],
        ['Basic', /not Basic/],
      ] as const) {
        const response = await login(authorization)
        assert.equal(response.statusCode, 400, authorization)
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
        assert.match(response.json<Problem>().detail, detail)
      }
      const none = await login(undefined)
      assert.equal(none.statusCode, 401)
      assert.match(String(none.headers['www-authenticate']), /^Basic realm="convoy"/)
      const fromTheWebApp = await login(undefined, freshIp(), { 'x-requested-with': 'fetch' })
      assert.match(String(fromTheWebApp.headers['www-authenticate']), /^Bearer/, 'no browser login dialog')
    })

    test('a 1 MB password is refused at once, at login and when creating a user', async () => {
      const huge = 'p'.repeat(1024 * 1024)
      const started = performance.now()
      assert.equal((await login(basic('admin', huge))).statusCode, 401)
      assert.ok(performance.now() - started < 5000)
      const create = await as(adminToken, 'POST', '/auth/users', {
        username: 'bigpass',
        password: huge,
        role: 'viewer',
      })
      assert.equal(create.statusCode, 413)
      const long = await as(adminToken, 'POST', '/auth/users', {
        username: 'bigpass',
        password: 'p'.repeat(1025),
        role: 'viewer',
      })
      assert.equal(long.statusCode, 400)
      assert.equal(
        (await as(adminToken, 'GET', '/auth/users'))
          .json<Array<{ username: string }>>()
          .some((u) => u.username === 'bigpass'),
        false,
      )
    })

    test('counts logins by outcome on /metrics: success, refused, throttled', async () => {
      const count = async (outcome: string) => {
        const text = await auth.app.metricsRegistry.getSingleMetricAsString('auth_logins_total')
        return Number(
          new RegExp(`auth_logins_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(text)?.[1],
        )
      }
      const before = {
        success: await count('success'),
        refused: await count('refused'),
        throttled: await count('throttled'),
      }
      assert.equal((await login(basic('admin', ADMIN_PASSWORD))).statusCode, 200)
      assert.equal((await login(basic('admin', 'not the password'))).statusCode, 401)
      const ip = freshIp()
      let throttled = 0
      for (let i = 0; i < 25; i++)
        if ((await login(basic(`guesser${i}`, 'whatever1'), ip)).statusCode === 429) throttled++
      assert.ok(throttled > 0, 'the throttle answered 429')
      assert.equal(await count('success'), before.success + 1)
      assert.equal(await count('refused'), before.refused + 1 + (25 - throttled))
      assert.equal(await count('throttled'), before.throttled + throttled)
    })

    test('attempts from one address are limited whatever the usernames', async () => {
      const lockouts = () => auth.scraped('auth_lockouts_total', { scope: 'address' })
      const before = await lockouts()
      const ip = freshIp()
      for (let i = 0; i < 20; i++)
        assert.equal((await login(basic(`user${i}`, 'whatever1'), ip)).statusCode, 401)
      const limited = await login(basic('admin', ADMIN_PASSWORD), ip)
      assert.equal(limited.statusCode, 429)
      assert.equal(await login(basic('admin', ADMIN_PASSWORD), ip).then((r) => r.statusCode), 429)
      assert.equal(await lockouts(), before! + 1, 'one lockout of the address, counted as it began')
      assert.ok(Number(limited.headers['retry-after']) > 0)
      assert.equal(
        (await login(basic('admin', ADMIN_PASSWORD))).statusCode,
        200,
        'other addresses are not affected',
      )
    })

    test('refresh rotates the refresh token; a reused one revokes the whole session', async () => {
      const first = await adminLogin()
      const second = await refresh(first.refreshToken)
      assert.equal(second.statusCode, 200)
      const pair = second.json<Pair>()
      assert.notEqual(pair.refreshToken, first.refreshToken)
      assert.equal((await as(pair.accessToken, 'GET', '/auth/me')).statusCode, 200)

      const replay = await refresh(first.refreshToken) // a thief replays the used token
      assert.equal(replay.statusCode, 401)
      assert.match(replay.json<Problem>().detail, /reused/)
      const owner = await refresh(pair.refreshToken) // the family is revoked, the owner's token too
      assert.equal(owner.statusCode, 401)
      assert.match(owner.json<Problem>().detail, /revoked/)
      assert.equal((await refresh('not-a-token')).statusCode, 401)
      assert.equal(
        (await auth.app.inject({ method: 'POST', url: '/auth/refresh', payload: {} })).statusCode,
        400,
      )
    })

    test("a disabled user's still-valid refresh token is refused, and so is their login", async () => {
      await as(adminToken, 'POST', '/auth/users', {
        username: 'dora',
        password: 'dora password',
        role: 'dispatcher',
      })
      const dora = (await login(basic('dora', 'dora password'))).json<Pair>()
      assert.equal((await as(adminToken, 'PATCH', '/auth/users/dora', { disabled: true })).statusCode, 200)
      assert.equal((await refresh(dora.refreshToken)).statusCode, 401)
      assert.equal((await login(basic('dora', 'dora password'))).statusCode, 401)
      await as(adminToken, 'PATCH', '/auth/users/dora', { disabled: false })
      assert.equal(
        (await refresh(dora.refreshToken)).statusCode,
        401,
        'enabling again does not revive old sessions',
      )
      assert.equal((await login(basic('dora', 'dora password'))).statusCode, 200)
    })

    test('a viewer (or dispatcher) calling an admin route gets 403; no token gets 401', async () => {
      await as(adminToken, 'POST', '/auth/users', {
        username: 'vic',
        password: 'vic password',
        role: 'viewer',
      })
      const vic = (await login(basic('vic', 'vic password'))).json<Pair>()
      for (const [method, url] of [
        ['GET', '/auth/users'],
        ['POST', '/auth/users'],
        ['PATCH', '/auth/users/admin'],
        ['DELETE', '/auth/users/admin'],
      ] as const) {
        const response = await as(
          vic.accessToken,
          method,
          url,
          method === 'PATCH'
            ? { role: 'viewer' }
            : method === 'POST'
              ? { username: 'x', password: 'xxxxxxxx', role: 'admin' }
              : undefined,
        )
        assert.equal(response.statusCode, 403, `${method} ${url}`)
        assert.match(response.json<Problem>().detail, /needs the role admin; yours is viewer/)
        assert.equal((await auth.app.inject({ method, url })).statusCode, 401)
      }
      assert.equal((await as(vic.accessToken, 'GET', '/auth/me')).statusCode, 200)
    })

    test('user admin: create, list, change role, reset password, delete; bad input is a 4xx', async () => {
      const create = (body: object) => as(adminToken, 'POST', '/auth/users', body)
      const created = await create({ username: 'Eve.Ops', password: 'first password', role: 'dispatcher' })
      assert.equal(created.statusCode, 201)
      const { id, ...rest } = created.json<{ id: string }>()
      assert.deepEqual(rest, { username: 'eve.ops', role: 'dispatcher', disabled: false })
      assert.equal(
        (await create({ username: 'eve.ops', password: 'another one', role: 'viewer' })).statusCode,
        409,
      )
      for (const body of [
        { username: "robert'); DROP TABLE users;--", password: 'xxxxxxxx', role: 'viewer' },
        { username: '', password: 'xxxxxxxx', role: 'viewer' },
        { username: 'short', password: 'short', role: 'viewer' },
        { username: 'root', password: 'xxxxxxxx', role: 'superuser' },
        { username: 'extra', password: 'xxxxxxxx', role: 'viewer', admin: true },
      ]) {
        const response = await create(body)
        assert.equal(response.statusCode, 400, JSON.stringify(body))
        assert.doesNotMatch(response.body, /xxxxxxxx/, 'the password is not echoed')
      }
      const eve = (await login(basic('eve.ops', 'first password'))).json<Pair>()
      const reset = await as(adminToken, 'PATCH', '/auth/users/eve.ops', {
        password: 'second password',
        role: 'viewer',
      })
      assert.deepEqual(reset.json(), { id, username: 'eve.ops', role: 'viewer', disabled: false })
      assert.equal((await refresh(eve.refreshToken)).statusCode, 401, 'a reset ends her sessions')
      assert.equal((await login(basic('eve.ops', 'first password'))).statusCode, 401)
      assert.equal((await login(basic('eve.ops', 'second password'))).statusCode, 200)
      assert.equal(
        (await as(adminToken, 'PATCH', '/auth/users/eve.ops', {})).statusCode,
        400,
        'nothing to change',
      )
      assert.equal((await as(adminToken, 'PATCH', '/auth/users/nobody', { role: 'viewer' })).statusCode, 404)
      const users = (await as(adminToken, 'GET', '/auth/users')).json<Array<{ username: string }>>()
      assert.ok(users.some((u) => u.username === 'eve.ops'))
      assert.equal((await as(adminToken, 'DELETE', '/auth/users/eve.ops')).statusCode, 204)
      assert.equal((await as(adminToken, 'DELETE', '/auth/users/eve.ops')).statusCode, 404)
      assert.equal((await login(basic('eve.ops', 'second password'))).statusCode, 401)
    })

    test('a disabled admin loses its power at once: its token can neither undo the change nor make a new admin', async () => {
      await as(adminToken, 'POST', '/auth/users', {
        username: 'ada',
        password: 'ada password',
        role: 'admin',
      })
      const ada = (await login(basic('ada', 'ada password'))).json<Pair>()
      assert.equal((await as(ada.accessToken, 'GET', '/auth/users')).statusCode, 200, 'an admin before')
      const applied = await auth.scraped('auth_revocations_applied_total')
      const revokedTokens = () =>
        auth.scraped('auth_token_verification_failures_total', { reason: 'revoked' })
      const refusedBefore = await revokedTokens()
      const disabled = await as(adminToken, 'PATCH', '/auth/users/ada', { disabled: true })
      assert.equal(disabled.statusCode, 200)
      const undo = await as(ada.accessToken, 'PATCH', '/auth/users/ada', { disabled: false })
      assert.equal(undo.statusCode, 401)
      assert.match(undo.json<Problem>().detail, /session has been revoked/)
      assert.match(
        String(undo.headers['www-authenticate']),
        /error="invalid_token", error_description="revoked"/,
      )
      const backdoor = await as(ada.accessToken, 'POST', '/auth/users', {
        username: 'backdoor',
        password: 'backdoor password',
        role: 'admin',
      })
      assert.equal(backdoor.statusCode, 401)
      assert.equal(
        await auth.scraped('auth_revocations_applied_total'),
        applied! + 1,
        'the revocation, on /metrics',
      )
      assert.equal(await revokedTokens(), refusedBefore! + 2, 'both refusals, counted as revoked')
      assert.equal((await refresh(ada.refreshToken)).statusCode, 401)
      const users = (await as(adminToken, 'GET', '/auth/users')).json<
        Array<{ username: string; disabled: boolean }>
      >()
      assert.ok(!users.some((user) => user.username === 'backdoor'))
      assert.equal(users.find((user) => user.username === 'ada')?.disabled, true)
    })

    test('a deleted, demoted or reset user is refused at once with the token they held; a promoted one keeps theirs', async () => {
      const make = async (username: string, role: string) => {
        await as(adminToken, 'POST', '/auth/users', { username, password: `${username} password`, role })
        return (await login(basic(username, `${username} password`))).json<Pair>().accessToken
      }
      const gone = await make('gone', 'dispatcher')
      const demoted = await make('demoted', 'admin')
      const reset = await make('reset', 'viewer')
      const promoted = await make('promoted', 'viewer')
      assert.equal((await as(adminToken, 'DELETE', '/auth/users/gone')).statusCode, 204)
      assert.equal((await as(adminToken, 'PATCH', '/auth/users/demoted', { role: 'viewer' })).statusCode, 200)
      assert.equal(
        (await as(adminToken, 'PATCH', '/auth/users/reset', { password: 'a new password' })).statusCode,
        200,
      )
      assert.equal(
        (await as(adminToken, 'PATCH', '/auth/users/promoted', { role: 'dispatcher' })).statusCode,
        200,
      )
      for (const [token, who] of [
        [gone, 'deleted'],
        [demoted, 'demoted'],
        [reset, 'reset'],
      ] as const) {
        const me = await as(token, 'GET', '/auth/me')
        assert.equal(me.statusCode, 401, who)
        assert.match(me.json<Problem>().detail, /revoked/, who)
      }
      assert.equal((await as(demoted, 'GET', '/auth/users')).statusCode, 401, 'no admin route either')
      assert.equal((await as(promoted, 'GET', '/auth/me')).statusCode, 200, 'more power ends nothing')
    })

    test('every revocation is announced to the other verifiers, and listed for those that missed it', async () => {
      const before = auth.announced.length
      await as(adminToken, 'POST', '/auth/users', {
        username: 'rex',
        password: 'rex password',
        role: 'viewer',
      })
      const rex = (await as(adminToken, 'GET', '/auth/users'))
        .json<Array<{ id: string; username: string }>>()
        .find((user) => user.username === 'rex')!
      await as(adminToken, 'PATCH', '/auth/users/rex', { disabled: true })
      await as(adminToken, 'PATCH', '/auth/users/rex', { disabled: false }) // enabling revokes nothing
      await as(adminToken, 'DELETE', '/auth/users/rex')
      assert.deepEqual(auth.announced.slice(before), [
        { userId: rex.id, generation: 2 },
        { userId: rex.id, generation: 3 },
      ])
      const listed = await auth.app.inject('/internal/revocations')
      assert.equal(listed.statusCode, 200, 'the verifiers read it without a token')
      assert.ok(
        listed
          .json<{ revocations: Revocation[] }>()
          .revocations.some((r) => r.userId === rex.id && r.generation === 3),
      )
    })

    test('a user deleted and created again under the same name is someone else', async () => {
      await as(adminToken, 'POST', '/auth/users', {
        username: 'alice',
        password: 'first alice pw',
        role: 'dispatcher',
      })
      const first = (await login(basic('alice', 'first alice pw'))).json<Pair>()
      const firstId = (await as(first.accessToken, 'GET', '/auth/me')).json<{ id: string }>().id
      await as(adminToken, 'DELETE', '/auth/users/alice')
      await as(adminToken, 'POST', '/auth/users', {
        username: 'alice',
        password: 'second alice pw',
        role: 'viewer',
      })
      const second = (await login(basic('alice', 'second alice pw'))).json<Pair>()
      const me = (await as(second.accessToken, 'GET', '/auth/me')).json<{ id: string; role: string }>()
      assert.notEqual(me.id, firstId)
      assert.equal(me.role, 'viewer')
      assert.equal(
        (await as(first.accessToken, 'GET', '/auth/me')).statusCode,
        401,
        'the first one stays gone',
      )
    })

    test('the last enabled admin can be neither demoted, disabled nor deleted', async () => {
      for (const [method, body] of [
        ['PATCH', { role: 'viewer' }],
        ['PATCH', { disabled: true }],
        ['DELETE', undefined],
      ] as const) {
        const response = await as(adminToken, method, '/auth/users/admin', body)
        assert.equal(response.statusCode, 409)
        assert.match(response.json<Problem>().detail, /at least one enabled admin/)
      }
    })

    test('signing keys rotate: new tokens get the new key once published, old tokens keep verifying', async () => {
      const before = (await adminLogin()).accessToken
      const later = Date.now() + 31 * 86_400_000
      await auth.keys.rotate(later)
      await auth.keys.reload(later)
      const jwks = () => auth.app.inject('/auth/.well-known/jwks.json').then((r) => r.json<JSONWebKeySet>())
      assert.equal((await jwks()).keys.length, 2, 'the new key is published at once')
      assert.equal(
        decodeProtectedHeader((await adminLogin()).accessToken).kid,
        decodeProtectedHeader(before).kid,
        'but not used yet',
      )
      await auth.keys.reload(later + PUBLISH_LEAD_MS)
      const after = (await adminLogin()).accessToken
      assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid)
      const verifier = createVerifier({
        keys: createLocalJWKSet(await jwks()),
        issuer: 'convoy',
        audience: 'convoy-api',
        revocations: noRevocations(),
      })
      assert.equal((await verifier.verify(before)).username, 'admin', 'the old key still verifies')
      assert.equal((await verifier.verify(after)).username, 'admin')
      await auth.keys.rotate(later + PUBLISH_LEAD_MS + 900_000 + 120_000)
      await auth.keys.reload(later + PUBLISH_LEAD_MS + 900_000 + 120_000)
      assert.equal((await jwks()).keys.length, 1, 'dropped once its last token has expired')
    })

    test('nothing sensitive reaches the logs', () => {
      const logs = auth.logLines.join('')
      assert.ok(logs.includes('logged in'), 'the log was captured')
      for (const secret of [ADMIN_PASSWORD, 'dora password', 'second password', '$argon2id', 'eyJ']) {
        assert.ok(!logs.includes(secret), `no ${secret} in the logs`)
      }
    })
  })
}
