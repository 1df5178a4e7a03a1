import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ApiError } from '../shared/api-error.ts'
import { Session, SESSION_KEY, type LockManagerLike, type SessionEvent } from './session.ts'

const ADA_ID = '00000000-0000-4000-8000-0000000000ad'

const TTL_S = 900

class MemoryStorage {
  readonly items = new Map<string, string>()
  getItem(key: string) {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.items.set(key, value)
  }
  removeItem(key: string) {
    this.items.delete(key)
  }
}

interface Call {
  method: string
  url: string
  headers: Headers
  body: unknown
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
const problem = (status: number, detail: string, headers: Record<string, string> = {}) =>
  json(status, { type: 'about:blank', title: 'Error', status, detail }, headers)

/**
 * A fake auth server: refresh tokens rotate (`refresh-1` → `refresh-2` …, each works once), access
 * token `access-N` goes with `refresh-N`; `/api/vehicles` answers 401 to any token in `expired`.
 */
function server(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  t.mock.method(console, 'warn', () => undefined)
  const calls: Call[] = []
  const state = { issued: 0, used: new Set<string>(), expired: new Set<string>(), role: 'admin', down: false }
  const pair = () => {
    state.issued++
    return {
      accessToken: `access-${state.issued}`,
      tokenType: 'Bearer',
      expiresIn: TTL_S,
      refreshToken: `refresh-${state.issued}`,
    }
  }
  const fetcher = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers)
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ method: init.method ?? 'GET', url, headers, body })
    if (state.down) throw new TypeError('Failed to fetch')
    const bearer = headers.get('authorization')?.replace(/^Bearer /, '')
    switch (url) {
      case '/api/auth/login': {
        const credentials = atob(headers.get('authorization')?.replace(/^Basic /, '') ?? '')
        if (credentials === 'locked:whatever') return problem(429, 'too many', { 'retry-after': '840' })
        return credentials === 'ada:correct horse'
          ? json(200, pair())
          : problem(401, 'wrong username or password')
      }
      case '/api/auth/refresh': {
        const token = (body as { refreshToken: string }).refreshToken
        if (state.used.has(token) || !token.startsWith('refresh-'))
          return problem(401, 'the refresh token is reused')
        state.used.add(token)
        return json(200, pair())
      }
      case '/api/auth/me':
        return json(200, { id: ADA_ID, username: 'ada', role: state.role })
      case '/api/auth/logout':
        return new Response(null, { status: 204 })
      case '/api/vehicles':
        return bearer && !state.expired.has(bearer) ? json(200, []) : problem(401, 'token expired')
      default:
        return problem(404, 'no route')
    }
  }
  const storage = new MemoryStorage()
  const sessions: Session[] = []
  const open = (locks?: LockManagerLike) => {
    const session = new Session({ storage, fetch: fetcher as typeof fetch, locks })
    const events: SessionEvent[] = []
    session.subscribe((event) => events.push(event))
    sessions.push(session)
    return { session, events }
  }
  t.after(() => sessions.forEach((session) => session.dispose()))
  const count = (url: string) => calls.filter((call) => call.url === url).length
  return { calls, state, storage, open, count }
}

/** Lets pending promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

test('signs in with Basic credentials, without a browser challenge, and keeps the session for a reload', async (t) => {
  const { calls, storage, open } = server(t)
  const { session, events } = open()
  assert.equal(session.user, null)
  const user = await session.signIn('ada', 'correct horse')
  assert.deepEqual(user, { id: ADA_ID, username: 'ada', role: 'admin' })
  const login = calls[0]!
  assert.equal(login.method, 'POST')
  assert.equal(login.headers.get('authorization'), `Basic ${btoa('ada:correct horse')}`)
  assert.equal(login.headers.get('x-requested-with'), 'fetch')
  assert.equal(calls[1]?.headers.get('authorization'), 'Bearer access-1', '/me with the new token')
  assert.deepEqual(events, [{ type: 'signed-in', user }])
  assert.ok(storage.getItem(SESSION_KEY))

  const reloaded = open().session
  assert.deepEqual(reloaded.user, user)
  assert.equal(reloaded.accessToken, 'access-1')
})

test('sign-in failures carry the status, the detail and the wait', async (t) => {
  const { open } = server(t)
  const { session } = open()
  await assert.rejects(session.signIn('ada', 'wrong'), (error: ApiError) => {
    assert.equal(error.status, 401)
    assert.equal(error.detail, 'wrong username or password')
    return true
  })
  await assert.rejects(session.signIn('locked', 'whatever'), { status: 429, retryAfter: 840 })
  assert.equal(session.user, null)
})

test('renews the access token silently at 75% of its lifetime, again and again', async (t) => {
  const { calls, open, count } = server(t)
  const { session, events } = open()
  await session.signIn('ada', 'correct horse')
  t.mock.timers.tick(TTL_S * 750 - 1)
  assert.equal(count('/api/auth/refresh'), 0)
  t.mock.timers.tick(1)
  await settle()
  assert.deepEqual(calls.find((call) => call.url === '/api/auth/refresh')?.body, {
    refreshToken: 'refresh-1',
  })
  assert.equal(session.accessToken, 'access-2')
  assert.deepEqual(events.at(-1), { type: 'token', accessToken: 'access-2' })
  t.mock.timers.tick(TTL_S * 750)
  await settle()
  assert.equal(count('/api/auth/refresh'), 2)
  assert.equal(session.accessToken, 'access-3')
})

test('concurrent renewals share one request', async (t) => {
  const { open, count } = server(t)
  const { session } = open()
  await session.signIn('ada', 'correct horse')
  const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()])
  assert.deepEqual(results, [true, true, true])
  assert.equal(count('/api/auth/refresh'), 1)
  assert.equal(session.accessToken, 'access-2')
})

test('API calls carry the token; a 401 renews once and repeats the call', async (t) => {
  const { calls, state, open, count } = server(t)
  const { session } = open()
  await session.signIn('ada', 'correct horse')
  const first = await session.fetch('/api/vehicles', { headers: { accept: 'application/json' } })
  assert.equal(first.status, 200)
  assert.equal(calls.at(-1)?.headers.get('authorization'), 'Bearer access-1')
  assert.equal(calls.at(-1)?.headers.get('accept'), 'application/json')

  state.expired.add('access-1') // expired by the server's clock, not yet by the browser's
  const second = await session.fetch('/api/vehicles')
  assert.equal(second.status, 200)
  assert.equal(count('/api/auth/refresh'), 1)
  assert.equal(calls.at(-1)?.headers.get('authorization'), 'Bearer access-2')
})

test('a refused renewal ends the session: the call answers 401 and the session is forgotten', async (t) => {
  const { state, storage, open } = server(t)
  const { session, events } = open()
  await session.signIn('ada', 'correct horse')
  state.used.add('refresh-1') // revoked (used by someone else)
  state.expired.add('access-1')
  const response = await session.fetch('/api/vehicles')
  assert.equal(response.status, 401)
  assert.equal(session.user, null)
  assert.equal(storage.getItem(SESSION_KEY), null)
  assert.deepEqual(events.at(-1), { type: 'signed-out', reason: 'ended' })
  await assert.rejects(session.fetch('/api/vehicles'), { status: 401 })
})

test('an unreachable server keeps the session, and the renewal is tried again', async (t) => {
  const { state, open, count } = server(t)
  const { session } = open()
  await session.signIn('ada', 'correct horse')
  state.down = true
  await assert.rejects(session.refresh(), { status: 0 })
  assert.equal(session.accessToken, 'access-1')
  t.mock.timers.tick(TTL_S * 750)
  await settle()
  assert.equal(count('/api/auth/refresh'), 2, 'the scheduled renewal failed too')
  state.down = false
  t.mock.timers.tick(10_000)
  await settle()
  assert.equal(session.accessToken, 'access-2')
})

test('tabs share one session: a renewal or a sign-out in one is followed by the other', async (t) => {
  const { open, count } = server(t)
  const one = open()
  await one.session.signIn('ada', 'correct horse')
  const two = open()
  assert.equal(two.session.accessToken, 'access-1')

  await one.session.refresh()
  two.session.storageChanged(SESSION_KEY) // the storage event
  assert.equal(two.session.accessToken, 'access-2')
  assert.deepEqual(two.events, [{ type: 'token', accessToken: 'access-2' }])
  // A renewal before the storage event arrives finds the renewed pair and does not use the old one.
  await one.session.refresh()
  assert.equal(await two.session.refresh(), true)
  assert.equal(two.session.accessToken, 'access-3')
  assert.equal(count('/api/auth/refresh'), 2)

  two.session.storageChanged('something-else')
  await one.session.signOut()
  two.session.storageChanged(SESSION_KEY)
  assert.equal(two.session.user, null)
  assert.deepEqual(two.events.at(-1), { type: 'signed-out', reason: 'signed-out' })
})

test('renewals in two tabs at once, behind the lock, use the refresh token once', async (t) => {
  const { open, count } = server(t)
  // A Web Locks stand-in: one task at a time, in order.
  let queue = Promise.resolve<unknown>(undefined)
  const locks: LockManagerLike = {
    request: (_name, task) => {
      const run = queue.then(task)
      queue = run.catch(() => undefined)
      return run
    },
  }
  const one = open(locks)
  await one.session.signIn('ada', 'correct horse')
  const two = open(locks)
  assert.deepEqual(await Promise.all([one.session.refresh(), two.session.refresh()]), [true, true])
  assert.equal(count('/api/auth/refresh'), 1)
  assert.equal(two.session.accessToken, one.session.accessToken)
})

test('signing out revokes the session on the server and forgets it', async (t) => {
  const { calls, storage, open } = server(t)
  const { session, events } = open()
  await session.signIn('ada', 'correct horse')
  await session.signOut()
  const logout = calls.at(-1)!
  assert.equal(logout.url, '/api/auth/logout')
  assert.equal(logout.headers.get('authorization'), 'Bearer access-1')
  assert.deepEqual(logout.body, { refreshToken: 'refresh-1' })
  assert.equal(session.user, null)
  assert.equal(storage.getItem(SESSION_KEY), null)
  assert.deepEqual(events.at(-1), { type: 'signed-out', reason: 'signed-out' })
})

test('a renewed token with another role updates the user', async (t) => {
  const { state, open } = server(t)
  const { session, events } = open()
  await session.signIn('ada', 'correct horse')
  state.role = 'viewer'
  await session.refresh()
  await settle()
  assert.deepEqual(session.user, { id: ADA_ID, username: 'ada', role: 'viewer' })
  assert.deepEqual(events.at(-1), { type: 'user', user: { id: ADA_ID, username: 'ada', role: 'viewer' } })
})
