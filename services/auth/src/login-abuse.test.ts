import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { sql } from '@convoy/platform/db'
import { databaseTargets } from '@convoy/platform/testing'
import {
  ADMIN_PASSWORD,
  authFixture,
  basic,
  type AuthFixture,
  type Pair,
  type Problem,
} from './test-support.ts'

for (const target of databaseTargets) {
  describe(`login abuse on ${target.kind}`, () => {
    let env: { url: string; drop(): Promise<void> }
    let auth: AuthFixture
    let admin: string
    let nextIp = 1
    const freshIp = () => `203.0.113.${nextIp++}`

    before(async () => {
      env = await target.create()
      auth = await authFixture(env.url, { throttle: { maxFailuresPerUser: 9 } })
      admin = (await auth.login(basic('admin', ADMIN_PASSWORD), freshIp())).json<Pair>().accessToken
    })
    after(async () => {
      await auth.close()
      await env.drop()
    })

    const createUser = async (username: string, password: string, role = 'dispatcher') => {
      const response = await auth.as(admin, 'POST', '/auth/users', { username, password, role })
      assert.equal(response.statusCode, 201, response.body)
    }
    /** Time passes for the throttle: every wait it imposes is over. */
    const timePasses = () =>
      sql`UPDATE login_attempts SET last_at = last_at - interval '1 hour'`.execute(auth.database.db)

    test('an address that guesses 50 times is slowed to a crawl; the owner, from another address, signs in at once', async () => {
      await createUser('owner', 'the owner knows this one')
      const attacker = freshIp()
      const answers: number[] = []
      for (let i = 0; i < 50; i++)
        answers.push((await auth.login(basic('owner', `guess number ${i}`), attacker)).statusCode)
      assert.deepEqual(answers.slice(0, 3), [401, 401, 401], 'the first few guesses are free')
      assert.deepEqual(new Set(answers.slice(3)), new Set([429]), 'then every guess must wait')
      const right = await auth.login(basic('owner', 'the owner knows this one'), attacker)
      assert.equal(right.statusCode, 429, 'even the right password, from the attacker')
      assert.ok(Number(right.headers['retry-after']) >= 1)
      const owner = await auth.login(basic('owner', 'the owner knows this one'), freshIp())
      assert.equal(owner.statusCode, 200, 'the owner is not slowed at all')
    })

    test('each further failure from the same address waits twice as long as the one before', async () => {
      await createUser('waiter', 'patience is a virtue')
      const address = freshIp()
      for (let i = 0; i < 3; i++)
        assert.equal((await auth.login(basic('waiter', 'nope, wrong'), address)).statusCode, 401)
      const waits: number[] = []
      for (let i = 0; i < 4; i++) {
        const refused = await auth.login(basic('waiter', 'nope, wrong'), address)
        assert.equal(refused.statusCode, 429)
        assert.match(refused.json<Problem>().detail, /from this address; wait/)
        waits.push(Number(refused.headers['retry-after']))
        await timePasses()
        assert.equal((await auth.login(basic('waiter', 'nope, wrong'), address)).statusCode, 401)
      }
      assert.deepEqual(waits, [60, 120, 240, 480])
      await timePasses()
      assert.equal((await auth.login(basic('waiter', 'patience is a virtue'), address)).statusCode, 200)
      assert.equal(
        (await auth.login(basic('waiter', 'nope, wrong'), address)).statusCode,
        401,
        'a success forgives the failures before it',
      )
    })

    test('many addresses together reach the ceiling of a username: then it is refused to everyone until the window ends', async () => {
      await createUser('target', 'a strong pass phrase')
      const lockouts = () => auth.scraped('auth_lockouts_total', { scope: 'user' })
      const before = await lockouts()
      for (let address = 0; address < 3; address++) {
        const ip = freshIp()
        for (let i = 0; i < 3; i++)
          assert.equal((await auth.login(basic('target', 'wrong!wrong'), ip)).statusCode, 401)
      }
      const owner = await auth.login(basic('target', 'a strong pass phrase'), freshIp())
      assert.equal(owner.statusCode, 429)
      assert.equal(await auth.login(basic('target', 'wrong!wrong'), freshIp()).then((r) => r.statusCode), 429)
      assert.equal(await lockouts(), before! + 1, 'one lockout, counted as it began')
      // And logged once, for the logs' "failed logins and lockouts" search.
      const logged = auth.logLines
        .map((line) => JSON.parse(line) as { msg: string; scope?: string; username?: string; reqId?: string })
        .filter((line) => line.msg === 'login locked out' && line.username === 'target')
      assert.deepEqual(
        logged.map(({ scope, reqId }) => [scope, typeof reqId]),
        [['user', 'string']],
      )
      assert.match(owner.json<Problem>().detail, /from many addresses/)
      assert.ok(Number(owner.headers['retry-after']) > 0 && Number(owner.headers['retry-after']) <= 60)
      await sql`UPDATE login_attempts SET window_start = window_start - interval '1 hour'`.execute(
        auth.database.db,
      )
      assert.equal((await auth.login(basic('target', 'a strong pass phrase'), freshIp())).statusCode, 200)
    })

    // Replicas share a database server; embedded mode is one process (and one PGlite) by design.
    if (target.kind === 'postgres')
      test('two replicas count the same attempts', async () => {
        await createUser('shared', 'counted once for all')
        const replica = await authFixture(env.url)
        try {
          const address = freshIp()
          const answers = []
          for (const app of [auth, replica, auth, replica, auth, replica])
            answers.push((await app.login(basic('shared', 'wrong guess'), address)).statusCode)
          assert.deepEqual(answers, [401, 401, 401, 429, 429, 429])
        } finally {
          await replica.close()
        }
      })

    test('a client cannot pass for another address with X-Forwarded-For unless its proxy is trusted', async () => {
      // No proxy trusted (the default): 21 attempts from one address, each naming another one.
      const answers = []
      for (let i = 0; i < 21; i++)
        answers.push(
          (
            await auth.login(basic(`sprayed${i}`, 'whatever1'), '192.0.2.50', {
              'x-forwarded-for': `10.9.8.${i}`,
            })
          ).statusCode,
        )
      assert.deepEqual(answers.slice(0, 20), Array(20).fill(401))
      assert.equal(answers[20], 429, 'all of them counted as the one address they came from')
      // Behind a trusted proxy (the gateway), the address it names is the client's.
      const behind = await authFixture(env.url, { trustProxy: '192.0.2.60' })
      try {
        for (let i = 0; i < 21; i++) {
          const response = await behind.login(basic(`sprayed${i}`, 'whatever1'), '192.0.2.60', {
            'x-forwarded-for': `10.9.9.${i}`,
          })
          assert.equal(response.statusCode, 401, 'every client its own address')
        }
      } finally {
        await behind.close()
      }
    })

    test('new passwords follow NIST SP 800-63B: long enough, not common, not the username; 12 characters for an admin', async () => {
      const create = (username: string, password: string, role = 'viewer') =>
        auth.as(admin, 'POST', '/auth/users', { username, password, role })
      for (const [username, password, role, reason] of [
        ['paul', '        ', 'viewer', /only spaces/],
        ['paul', 'password', 'viewer', /most common/],
        ['paul', 'Password1', 'viewer', /most common/],
        ['paul', 'qwertyuiop', 'viewer', /most common/],
        ['paul', 'aaaaaaaaaaaa', 'viewer', /repeated/],
        ['marguerite', 'Marguerite', 'viewer', /username/],
        ['paul', 'paul2026!!', 'viewer', /username/],
        ['paul', 'Convoy2026', 'viewer', /name of this system/],
        ['paul', 'eleven char', 'admin', /at least 12 characters for an admin/],
      ] as const) {
        const response = await create(username, password, role)
        assert.equal(response.statusCode, 400, `${JSON.stringify(password)} for ${username}`)
        assert.match(response.json<Problem>().detail, reason)
      }
      for (const [username, password, role] of [
        ['paul', 'correct horse', 'viewer'], // spaces and all
        ['petra', 'Żółć na łące', 'viewer'], // any language
        ['pia', 'twelve chars', 'admin'],
      ] as const)
        assert.equal((await create(username, password, role)).statusCode, 201, password)
    })

    test('promoting a user to admin needs a password of 12 characters, already or with the promotion', async () => {
      await createUser('promo', 'only ten!!', 'viewer')
      const promote = await auth.as(admin, 'PATCH', '/auth/users/promo', { role: 'admin' })
      assert.equal(promote.statusCode, 409)
      assert.match(promote.json<Problem>().detail, /at least 12 characters: set one with the promotion/)
      const withPassword = await auth.as(admin, 'PATCH', '/auth/users/promo', {
        role: 'admin',
        password: 'now a long one',
      })
      assert.equal(withPassword.statusCode, 200)
      await createUser('longpw', 'already twelve chars', 'viewer')
      assert.equal((await auth.as(admin, 'PATCH', '/auth/users/longpw', { role: 'admin' })).statusCode, 200)
    })

    test('a user changes their own password: the current one is required, every other session ends, this one goes on', async () => {
      await createUser('cleo', 'cleo first phrase')
      const here = (await auth.login(basic('cleo', 'cleo first phrase'), freshIp())).json<Pair>()
      const elsewhere = (await auth.login(basic('cleo', 'cleo first phrase'), freshIp())).json<Pair>()
      const change = (body: object) => auth.as(here.accessToken, 'POST', '/auth/me/password', body, freshIp())

      const wrong = await change({ currentPassword: 'not it at all', newPassword: 'cleo second phrase' })
      assert.equal(wrong.statusCode, 403)
      assert.match(wrong.json<Problem>().detail, /current password is not right/)
      const weak = await change({ currentPassword: 'cleo first phrase', newPassword: 'password' })
      assert.equal(weak.statusCode, 400)
      assert.match(weak.json<Problem>().detail, /most common/)

      const changed = await change({
        currentPassword: 'cleo first phrase',
        newPassword: 'cleo second phrase',
      })
      assert.equal(changed.statusCode, 200)
      const fresh = changed.json<Pair>()
      assert.equal(
        (await auth.as(fresh.accessToken, 'GET', '/auth/me')).statusCode,
        200,
        'this session goes on',
      )
      assert.equal((await auth.refresh(fresh.refreshToken)).statusCode, 200)
      assert.equal(
        (await auth.as(elsewhere.accessToken, 'GET', '/auth/me')).statusCode,
        401,
        'the others end',
      )
      assert.equal((await auth.refresh(elsewhere.refreshToken)).statusCode, 401)
      assert.equal((await auth.as(here.accessToken, 'GET', '/auth/me')).statusCode, 401, 'and the old token')
      assert.equal((await auth.login(basic('cleo', 'cleo first phrase'), freshIp())).statusCode, 401)
      assert.equal((await auth.login(basic('cleo', 'cleo second phrase'), freshIp())).statusCode, 200)
    })
  })
}
