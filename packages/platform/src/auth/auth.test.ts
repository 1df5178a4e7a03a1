import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import { base64url, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose'
import { AppError } from '../errors/index.ts'
import { testIssuer, type TestIssuer } from '../testing/index.ts'
import { bearerToken, createVerifier, TOKEN_ALGORITHM, type Verifier } from './index.ts'

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
    const principal = await issuer.verifier.verify(await issuer.token({ sub: 'ann', role: 'dispatcher' }))
    assert.equal(principal.username, 'ann')
    assert.equal(principal.role, 'dispatcher')
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
      const [header, , signature] = (await issuer.token({ sub: 'vic', role: 'viewer' })).split('.')
      const payload = base64url.encode(
        JSON.stringify({ sub: 'vic', role: 'admin', iss: 'convoy', aud: 'convoy-api', exp: 4e9 }),
      )
      return `${header}.${payload}.${signature}`
    },
    /signature does not verify/,
  )
  refused('an unknown kid', () => issuer.token({}, { kid: 'nobody-knows' }), /unknown key/)
  refused('a role that does not exist', () => issuer.token({ role: 'superuser' }), /no known role/)
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
        new SignJWT({ role: 'viewer', ...claims })
          .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid, typ: 'JWT' })
          .setSubject('ann')
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
      const verifier = createVerifier({ jwksUrl: url, issuer: 'convoy', audience: 'convoy-api' })
      const result = await outcome(verifier, await keys[0]!.sign({}))
      assert.equal((result as { status: number }).status, 503)
    } finally {
      down = false
    }
  })
})
