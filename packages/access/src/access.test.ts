import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import { userRevoked, type UserRevoked } from '@convoy/contracts'
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'
import { Registry } from 'prom-client'
import { AppError } from '@convoy/platform/errors'
import { eventually, testLogger, uniqueName } from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from './testing.ts'
import { connectBroker } from '@convoy/platform/messaging'
import {
  bearerToken,
  createRevocationList,
  createVerifier,
  followRevocations,
  legacyUserId,
  noRevocations,
  TOKEN_ALGORITHM,
  type RevocationList,
  type Verifier,
} from './index.ts'

/** A series' value as `/metrics` shows it: `name{labels} value`, the labels as they are printed. */
async function scraped(registry: Registry, series: string) {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** A verifier counting on a registry of its own, as a service's: both, to scrape what it counts. */
function countingVerifier(
  keys: { jwksUrl: string } | { keys: JWTVerifyGetKey },
  revocations: RevocationList = noRevocations(),
) {
  const metrics = new Registry()
  const verifier = createVerifier({ ...keys, issuer: 'convoy', audience: 'convoy-api', revocations, metrics })
  return { metrics, verifier }
}

/** What verifying `token` ends in: the principal, or the error's status and detail. */
async function outcome(verifier: Verifier, token: string) {
  try {
    return await verifier.verify(token)
  } catch (error) {
    assert.ok(error instanceof AppError, `an AppError, not ${String(error)}`)
    return { status: error.status, detail: error.message }
  }
}

describe('token verification refuses forged and foreign tokens', () => {
  let issuer: TestIssuer
  before(async () => {
    issuer = await testIssuer()
  })

  test('a token auth would issue is accepted, with its user and role', async () => {
    const principal = await issuer.verifier.verify(await issuer.token({ user: 'ann', role: 'dispatcher' }))
    assert.equal(principal.userId, legacyUserId('ann'))
    assert.equal(principal.username, 'ann')
    assert.equal(principal.role, 'dispatcher')
    assert.equal(principal.generation, 1)
    assert.ok(principal.expiresAt > Date.now())
  })

  const refused = (name: string, forge: () => Promise<string>, detail: RegExp) => {
    test(`${name}: 401`, async () => {
      const result = await outcome(issuer.verifier, await forge())
      assert.deepEqual(Object.keys(result), ['status', 'detail'])
      assert.equal((result as { status: number }).status, 401)
      assert.match((result as { detail: string }).detail, detail)
    })
  }

  refused(
    'alg none',
    async () =>
      new UnsecuredJWT({ role: 'admin' })
        .setSubject('eve')
        .setIssuer('convoy')
        .setAudience('convoy-api')
        .setExpirationTime('5m')
        .encode(),
    /not signed with an accepted algorithm|malformed/,
  )
  refused(
    'HS256 signed with the public key as the secret',
    async () => {
      const publicKey = issuer.jwks.keys[0] as JWK
      return new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: publicKey.kid, typ: 'JWT' })
        .setSubject('eve')
        .setIssuer('convoy')
        .setAudience('convoy-api')
        .setExpirationTime('5m')
        .sign(base64url.decode(publicKey.x!))
    },
    /not signed with an accepted algorithm/,
  )
  refused('another issuer', () => issuer.token({ iss: 'https://evil.example' }), /iss claim/)
  refused('another audience', () => issuer.token({ aud: 'another-api' }), /aud claim/)
  refused('expired (beyond the clock skew)', () => issuer.token({ ttlSeconds: -60 }), /expired/)
  refused(
    'a tampered payload (role raised to admin)',
    async () => {
      const [header, , signature] = (await issuer.token({ user: 'vic', role: 'viewer' })).split('.')
      const payload = base64url.encode(
        JSON.stringify({ sub: 'vic', role: 'admin', iss: 'convoy', aud: 'convoy-api', exp: 4e9 }),
      )
      return `${header}.${payload}.${signature}`
    },
    /signature does not verify/,
  )
  refused('an unknown kid', () => issuer.token({}, { kid: 'nobody-knows' }), /unknown key/)
  refused('a role that does not exist', () => issuer.token({ role: 'superuser' }), /no known role/)
  refused('a subject that is not a user id', () => issuer.token({ userId: 'admin' }), /names no user/)
  refused('no session generation', () => issuer.token({ generation: 0 }), /names no user/)
  refused('not a JWT at all', async () => 'aaa.bbb.ccc', /malformed/)

  test('a token signed by another key with the same kid: 401', async () => {
    const other = await testIssuer()
    assert.equal(((await outcome(issuer.verifier, await other.token())) as { status: number }).status, 401)
  })

  test('garbage Authorization headers are 401, never a crash', () => {
    for (const header of [
      undefined,
      '',
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer a.b',
      'Bearer a.b.c.d',
      'Bearer ' + 'x'.repeat(20),
      'Bearer a.b.c extra',
    ]) {
      assert.throws(
        () => bearerToken(header),
        (error: unknown) => error instanceof AppError && error.status === 401,
        String(header),
      )
    }
    assert.equal(bearerToken('bearer a.b.c'), 'a.b.c')
  })

  test('each refusal is counted on the registry by its reason, from 0', async () => {
    const { metrics, verifier } = countingVerifier(
      { keys: createLocalJWKSet(issuer.jwks) },
      issuer.revocations,
    )
    const failures = (reason: string) =>
      scraped(metrics, `auth_token_verification_failures_total{reason="${reason}"}`)
    assert.equal(await failures('expired'), 0, 'defined before the first refusal')
    const [header, , signature] = (await issuer.token({ user: 'vic' })).split('.')
    const tampered = `${header}.${base64url.encode(JSON.stringify({ sub: 'vic', exp: 4e9 }))}.${signature}`
    const tokens = {
      expired: [await issuer.token({ ttlSeconds: -60 }), await issuer.token({ ttlSeconds: -120 })],
      bad_signature: [tampered],
      unknown_key: [await issuer.token({}, { kid: 'nobody-knows' })],
      claims: [await issuer.token({ aud: 'another-api' }), await issuer.token({ role: 'superuser' })],
      malformed: ['aaa.bbb.ccc'],
    }
    for (const list of Object.values(tokens))
      for (const token of list)
        assert.equal(((await outcome(verifier, token)) as { status: number }).status, 401)
    await verifier.verify(await issuer.token())
    for (const [reason, list] of Object.entries(tokens))
      assert.equal(await failures(reason), list.length, reason)
    assert.equal(await failures('revoked'), 0, 'a valid token is not counted')
  })
})

describe('JWKS from the auth service', () => {
  let keys: { kid: string; sign: (claims: object) => Promise<string>; jwk: JWK }[] = []
  let served: JWK[] = []
  let fetches = 0
  let down = false
  const server = Fastify()
  server.get('/jwks.json', async (_request, reply) => {
    if (down) return reply.code(503).send()
    fetches++
    return { keys: served }
  })
  let url: string

  async function newKey(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519' })
    return {
      kid,
      jwk: { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' },
      sign: (claims: object) =>
        new SignJWT({ role: 'viewer', preferred_username: 'ann', gen: 1, ...claims })
          .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'JWT' })
          .setSubject(legacyUserId('ann'))
          .setIssuer('convoy')
          .setAudience('convoy-api')
          .setExpirationTime('5m')
          .sign(privateKey),
    }
  }

  before(async () => {
    keys = [await newKey('k1'), await newKey('k2')]
    served = [keys[0]!.jwk]
    url = `${await server.listen({ port: 0, host: '127.0.0.1' })}/jwks.json`
  })
  after(() => server.close())

  test('fetched once and cached; fetched again when a token names a new key (rotation)', async () => {
    const verifier = createVerifier({
      jwksUrl: url,
      issuer: 'convoy',
      audience: 'convoy-api',
      jwksCooldownMs: 0,
      revocations: noRevocations(),
    })
    for (let i = 0; i < 20; i++) await verifier.verify(await keys[0]!.sign({ n: i }))
    assert.equal(fetches, 1, 'one fetch for twenty tokens of a known key')
    served = [keys[0]!.jwk, keys[1]!.jwk] // auth rotated: the new key is published
    assert.equal((await verifier.verify(await keys[1]!.sign({}))).username, 'ann')
    assert.equal(fetches, 2, 'fetched again for the unknown kid')
    assert.equal(
      (await verifier.verify(await keys[0]!.sign({ n: 99 }))).username,
      'ann',
      'the old key still verifies',
    )
  })

  test('auth unreachable: 503, not 401 (the token may well be good)', async () => {
    down = true
    try {
      const verifier = createVerifier({
        jwksUrl: url,
        issuer: 'convoy',
        audience: 'convoy-api',
        revocations: noRevocations(),
      })
      const result = await outcome(verifier, await keys[0]!.sign({}))
      assert.equal((result as { status: number }).status, 503)
    } finally {
      down = false
    }
  })

  test('a JWKS fetch that fails is counted; one that succeeds is not', async () => {
    const { metrics, verifier } = countingVerifier({ jwksUrl: url })
    assert.equal(await scraped(metrics, 'auth_jwks_fetch_failures_total'), 0)
    down = true
    try {
      for (let i = 0; i < 2; i++) {
        const result = (await outcome(verifier, await keys[0]!.sign({ n: i }))) as { status: number }
        assert.equal(result.status, 503)
      }
    } finally {
      down = false
    }
    assert.equal(await scraped(metrics, 'auth_jwks_fetch_failures_total'), 2)
    assert.equal(
      await scraped(metrics, 'auth_token_verification_failures_total{reason="keys_unavailable"}'),
      2,
    )
    assert.equal((await verifier.verify(await keys[0]!.sign({}))).username, 'ann', 'auth is back')
    assert.equal(await scraped(metrics, 'auth_jwks_fetch_failures_total'), 2)
  })

  test('a JWKS server that does not answer at all is counted too', async () => {
    const closed = Fastify()
    const deadUrl = `${await closed.listen({ port: 0, host: '127.0.0.1' })}/jwks.json`
    await closed.close() // nothing listens there any more: the connection is refused
    const { metrics, verifier } = countingVerifier({ jwksUrl: deadUrl })
    assert.equal(((await outcome(verifier, await keys[0]!.sign({}))) as { status: number }).status, 503)
    assert.equal(await scraped(metrics, 'auth_jwks_fetch_failures_total'), 1)
  })
})

describe('revoked sessions', () => {
  let issuer: TestIssuer
  before(async () => {
    issuer = await testIssuer()
  })

  test("a revocation voids the user's tokens issued before it, even ones verified already; a later one passes", async () => {
    const before = await issuer.token({ user: 'rev', generation: 1 })
    assert.equal((await issuer.verifier.verify(before)).username, 'rev', 'remembered as valid')
    issuer.revoke('rev', 2)
    const refusal = (await outcome(issuer.verifier, before)) as { status: number; detail: string }
    assert.deepEqual(refusal, { status: 401, detail: 'the session has been revoked; log in again' })
    assert.equal(
      (await issuer.verifier.verify(await issuer.token({ user: 'rev', generation: 2 }))).generation,
      2,
    )
    assert.equal(
      (await issuer.verifier.verify(await issuer.token({ user: 'other', generation: 1 }))).username,
      'other',
      'other users are not affected',
    )
  })

  test('until the revocations are known, no token can be judged: 503', async () => {
    const { metrics, verifier } = countingVerifier(
      { keys: async () => (await import('jose')).importJWK(issuer.jwks.keys[0]!, TOKEN_ALGORITHM) },
      createRevocationList(),
    )
    const result = (await outcome(verifier, await issuer.token())) as { status: number; detail: string }
    assert.equal(result.status, 503)
    assert.match(result.detail, /revocations unknown/)
    assert.equal(
      await scraped(metrics, 'auth_token_verification_failures_total{reason="revocations_unknown"}'),
      1,
    )
  })

  test('revocations that void sessions are counted, and tokens refused for them', async () => {
    const revocations = createRevocationList()
    const { metrics, verifier } = countingVerifier({ keys: createLocalJWKSet(issuer.jwks) }, revocations)
    const old = legacyUserId('old')
    revocations.load([{ userId: old, generation: 2 }])
    revocations.apply({ userId: legacyUserId('new'), generation: 3 })
    revocations.apply({ userId: old, generation: 2 }) // heard again: voids nothing new
    assert.equal(await scraped(metrics, 'auth_revocations_applied_total'), 2)
    const refused = (await outcome(verifier, await issuer.token({ user: 'old' }))) as { status: number }
    assert.equal(refused.status, 401)
    assert.equal(await scraped(metrics, 'auth_token_verification_failures_total{reason="revoked"}'), 1)
  })

  test('a revocation only ever raises the generation, and tells whoever listens', () => {
    const list = createRevocationList()
    const heard: unknown[] = []
    list.onRevoked((revocation) => heard.push(revocation))
    const id = legacyUserId('x')
    list.load([{ userId: id, generation: 3 }])
    list.apply({ userId: id, generation: 2 }) // late, and lower: changes nothing
    list.apply({ userId: id, generation: 3 }) // the same again: nothing new
    assert.equal(list.revoked(id, 2), true)
    assert.equal(list.revoked(id, 3), false)
    assert.deepEqual(heard, [{ userId: id, generation: 3 }])
  })
})

describe('following revocations', () => {
  test('reads the complete list once subscribed (what it missed while down), then applies each announcement', async () => {
    const url = `embedded://${uniqueName('revocations')}`
    const broker = connectBroker({ url, log: testLogger() })
    const auth = connectBroker({ url, log: testLogger() })
    const missed = { userId: legacyUserId('missed'), generation: 2 }
    let reads = 0
    const list = createRevocationList()
    const following = followRevocations({
      broker,
      list,
      log: testLogger(),
      // auth is not answering yet the first time: the list is read again until it is.
      snapshot: async () => {
        if (reads++ === 0) throw new Error('auth not there yet')
        return [missed]
      },
    })
    try {
      await eventually(() => list.loaded() && following.isReady(), 'the list read')
      assert.equal(list.revoked(missed.userId, 1), true)
      const live: UserRevoked = { version: 1, userId: legacyUserId('live'), generation: 5 }
      await auth.publish(userRevoked, live)
      await eventually(() => list.revoked(live.userId, 4), 'the announcement applied')
    } finally {
      await following.close()
      await broker.close()
      await auth.close()
    }
  })
})
