import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DEFAULT_PREFERENCES, type Preferences, type Role } from '@convoy/contracts'
import { sql } from '@convoy/platform/db'
import { databaseTargets } from '@convoy/platform/testing'
import { ADMIN_PASSWORD, authFixture, basic, type Pair, type Problem } from './test-support.ts'

const PASSWORD = 'amber tractor lullaby'
const CHOSEN: Preferences = {
  units: 'imperial',
  timeZone: 'America/Argentina/Buenos_Aires',
  clock: '12h',
  absoluteTime: true,
  theme: 'dark',
  emailAlerts: true,
}

/** Auth on a database of its own, with its first admin signed in; users made by `signedIn`. */
async function fixture(target: (typeof databaseTargets)[number]) {
  const env = await target.create()
  const auth = await authFixture(env.url)
  let nextIp = 1
  const freshIp = () => `203.0.113.${nextIp++}`
  const admin = (await auth.login(basic('admin', ADMIN_PASSWORD), freshIp())).json<Pair>()
  return {
    auth,
    freshIp,
    admin,
    /** A new user of `role`, signed in. */
    async signedIn(username: string, role: Role) {
      const created = await auth.as(admin.accessToken, 'POST', '/auth/users', {
        username,
        password: PASSWORD,
        role,
      })
      assert.equal(created.statusCode, 201, created.body)
      return (await auth.login(basic(username, PASSWORD), freshIp())).json<Pair>()
    },
    async close() {
      await auth.close()
      await env.drop()
    },
  }
}

for (const target of databaseTargets) {
  describe(`preferences on ${target.kind}`, () => {
    let f: Awaited<ReturnType<typeof fixture>>
    before(async () => {
      f = await fixture(target)
    })
    after(() => f.close())

    const read = (token: string) => f.auth.as(token, 'GET', '/auth/me/preferences')
    const save = (token: string, body: unknown) =>
      f.auth.app.inject({
        method: 'PUT',
        url: '/auth/me/preferences',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      })

    test('a user who never saved any has the defaults, whatever the role', async () => {
      for (const role of ['viewer', 'dispatcher', 'admin'] as const) {
        const user = await f.signedIn(`fresh-${role}`, role)
        const response = await read(user.accessToken)
        assert.equal(response.statusCode, 200, role)
        assert.equal(response.headers['cache-control'], 'no-store')
        assert.deepEqual(response.json(), {
          units: 'metric',
          timeZone: null,
          clock: null,
          absoluteTime: false,
          theme: 'system',
          emailAlerts: false,
        })
      }
    })

    test('every role saves the whole document; it is theirs alone and survives signing out and in', async () => {
      const viewer = await f.signedIn('keeper', 'viewer')
      const other = await f.signedIn('bystander', 'dispatcher')
      const saved = await save(viewer.accessToken, CHOSEN)
      assert.equal(saved.statusCode, 200, saved.body)
      assert.deepEqual(saved.json(), CHOSEN)
      assert.deepEqual((await read(viewer.accessToken)).json(), CHOSEN)
      assert.deepEqual((await read(other.accessToken)).json(), DEFAULT_PREFERENCES, "not another user's")

      const logout = await f.auth.as(viewer.accessToken, 'POST', '/auth/logout', {
        refreshToken: viewer.refreshToken,
      })
      assert.equal(logout.statusCode, 204)
      const again = (await f.auth.login(basic('keeper', PASSWORD), f.freshIp())).json<Pair>()
      assert.deepEqual((await read(again.accessToken)).json(), CHOSEN)

      // Saved again: replaced whole, back to nulls.
      const next = { ...DEFAULT_PREFERENCES, units: 'imperial' }
      assert.equal((await save(again.accessToken, next)).statusCode, 200)
      assert.deepEqual((await read(again.accessToken)).json(), next)
    })

    test('bad input is a 400 problem naming what is wrong, and nothing is kept', async () => {
      const user = await f.signedIn('careless', 'dispatcher')
      assert.equal((await save(user.accessToken, CHOSEN)).statusCode, 200)
      const { emailAlerts: _, ...partial } = CHOSEN
      for (const [body, named] of [
        [{ ...CHOSEN, fontSize: 14 }, /additional|fontSize/i], // an unknown field
        [partial, /emailAlerts/], // a field missing: the document is whole
        [{ ...CHOSEN, units: 'furlongs' }, /units/],
        [{ ...CHOSEN, theme: 'blue' }, /theme/],
        [{ ...CHOSEN, clock: '13h' }, /clock/],
        [{ ...CHOSEN, timeZone: 'Mars/Olympus_Mons' }, /not a known time zone/],
        [{ ...CHOSEN, timeZone: '+01:00' }, /timeZone/], // an offset, not a zone
        [{ ...CHOSEN, timeZone: '' }, /timeZone/],
        [{ ...CHOSEN, timeZone: 5 }, /timeZone/], // wrong types, never coerced
        [{ ...CHOSEN, absoluteTime: 'true' }, /absoluteTime/],
        [{ ...CHOSEN, emailAlerts: 1 }, /emailAlerts/],
        [{ ...CHOSEN, units: ['metric'] }, /units/],
        [[CHOSEN], /object/],
        [null, /object/],
      ] as const) {
        const response = await save(user.accessToken, body)
        assert.equal(response.statusCode, 400, JSON.stringify(body))
        assert.match(response.headers['content-type'] ?? '', /^application\/problem\+json/)
        assert.match(response.json<Problem>().detail, named, JSON.stringify(body))
      }
      const text = await f.auth.app.inject({
        method: 'PUT',
        url: '/auth/me/preferences',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        payload: '{"units": "metric",',
      })
      assert.equal(text.statusCode, 400, 'not JSON')
      const empty = await f.auth.app.inject({
        method: 'PUT',
        url: '/auth/me/preferences',
        headers: { authorization: `Bearer ${user.accessToken}` },
      })
      assert.equal(empty.statusCode, 400, 'no body at all')
      assert.deepEqual((await read(user.accessToken)).json(), CHOSEN, 'what was saved before stays')
    })

    test('no token, or a bad one, is a 401', async () => {
      for (const method of ['GET', 'PUT'] as const) {
        const none = await f.auth.app.inject({ method, url: '/auth/me/preferences', payload: CHOSEN })
        assert.equal(none.statusCode, 401, method)
        assert.match(none.headers['content-type'] ?? '', /^application\/problem\+json/)
        const forged = await f.auth.app.inject({
          method,
          url: '/auth/me/preferences',
          payload: CHOSEN,
          headers: { authorization: 'Bearer not.a.token' },
        })
        assert.equal(forged.statusCode, 401, method)
      }
    })

    test('deleting a user deletes their preferences: the next user of that name starts from the defaults', async () => {
      const gone = await f.signedIn('leaver', 'dispatcher')
      assert.equal((await save(gone.accessToken, CHOSEN)).statusCode, 200)
      const deleted = await f.auth.as(f.admin.accessToken, 'DELETE', '/auth/users/leaver')
      assert.equal(deleted.statusCode, 204)
      const { rows } = await sql<{ count: string }>`SELECT count(*) FROM preferences p
        WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id)`.execute(f.auth.database.db)
      assert.equal(Number(rows[0]!.count), 0, 'no preferences without their user')
      assert.equal((await save(gone.accessToken, CHOSEN)).statusCode, 401, 'the token died with the user')
      const successor = await f.signedIn('leaver', 'dispatcher')
      assert.deepEqual((await read(successor.accessToken)).json(), DEFAULT_PREFERENCES)
    })
  })

  describe(`alert recipients on ${target.kind}`, () => {
    test('are the enabled admins and dispatchers who asked for alerts, by username, without a token', async () => {
      const f = await fixture(target)
      try {
        /** A new user of `role`, who saved `emailAlerts` (or never saved anything); their id. */
        const user = async (username: string, role: Role, emailAlerts?: boolean) => {
          const pair = await f.signedIn(username, role)
          if (emailAlerts !== undefined) {
            const saved = await f.auth.as(pair.accessToken, 'PUT', '/auth/me/preferences', {
              ...DEFAULT_PREFERENCES,
              emailAlerts,
            })
            assert.equal(saved.statusCode, 200)
          }
          return (await f.auth.as(pair.accessToken, 'GET', '/auth/me')).json<{ id: string }>().id
        }
        const zed = await user('zed', 'dispatcher', true)
        const ada = await user('ada', 'admin', true)
        await user('quiet', 'dispatcher', false)
        await user('never-saved', 'dispatcher')
        await user('watcher', 'viewer', true) // a viewer's choice is kept, but gets no alerts
        await user('away', 'dispatcher', true)
        const admin = f.admin.accessToken
        assert.equal(
          (await f.auth.as(admin, 'PATCH', '/auth/users/away', { disabled: true })).statusCode,
          200,
        )

        const recipients = () => f.auth.app.inject('/internal/alert-recipients')
        const response = await recipients()
        assert.equal(response.statusCode, 200)
        assert.equal(response.headers['cache-control'], 'no-store')
        assert.deepEqual(response.json(), [
          { userId: ada, username: 'ada', role: 'admin' },
          { userId: zed, username: 'zed', role: 'dispatcher' },
        ])

        // Demoted to viewer: off the list.
        assert.equal((await f.auth.as(admin, 'PATCH', '/auth/users/zed', { role: 'viewer' })).statusCode, 200)
        assert.deepEqual(
          (await recipients()).json<Array<{ username: string }>>().map((r) => r.username),
          ['ada'],
        )
      } finally {
        await f.close()
      }
    })
  })
}
