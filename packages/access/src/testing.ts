import http from 'node:http'
import type net from 'node:net'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { createRevocationList, createVerifier, legacyUserId, TOKEN_ALGORITHM } from './index.ts'

/**
 * A token issuer for tests of services that verify tokens: a real Ed25519 key pair, a verifier
 * that trusts it, and `token()` to sign access tokens as `auth` does (or as it must not: the
 * claims, header and key can all be overridden). Its revocations start loaded and empty; `revoke`
 * adds one, as auth would.
 */
export async function testIssuer(options: { issuer?: string; audience?: string } = {}) {
  const issuer = options.issuer ?? 'convoy'
  const audience = options.audience ?? 'convoy-api'
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  })
  const kid = 'test-key'
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' }] }
  const revocations = createRevocationList()
  const revoked: Array<{ userId: string; generation: number }> = []
  revocations.load([])
  return {
    issuer,
    audience,
    jwks,
    revocations,
    verifier: createVerifier({ keys: createLocalJWKSet(jwks), issuer, audience, revocations }),
    /** Revokes the sessions of `user` (a username, as in `token`) below `generation`, as auth would. */
    revoke(user: string, generation = 2) {
      const revocation = { userId: legacyUserId(user), generation }
      revoked.push(revocation)
      revocations.apply(revocation)
    },
    /**
     * Serves the JWKS and the revocations over HTTP on loopback, as auth does, for a service
     * started with the returned `env` (AUTH_JWKS_URL, AUTH_REVOCATIONS_URL).
     */
    async serveAuth(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
      const server = http.createServer((request, response) => {
        const body = request.url === '/revocations' ? { revocations: revoked } : jwks
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as net.AddressInfo
      return {
        env: {
          AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
          AUTH_REVOCATIONS_URL: `http://127.0.0.1:${port}/revocations`,
        },
        close: () => new Promise((resolve) => server.close(() => resolve())),
      }
    },
    /**
     * An access token for the user named `user` (id `legacyUserId(user)` unless `userId` says),
     * with `role` and session generation `generation` (1), valid for `ttlSeconds` (negative:
     * already expired).
     */
    token(
      claims: {
        user?: string
        userId?: string
        role?: string
        generation?: number
        iss?: string
        aud?: string
        ttlSeconds?: number
      } = {},
      header: { kid?: string } = {},
    ) {
      const now = Math.floor(Date.now() / 1000)
      const user = claims.user ?? 'tester'
      return new SignJWT({
        role: claims.role ?? 'viewer',
        preferred_username: user,
        gen: claims.generation ?? 1,
      })
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: header.kid ?? kid, typ: 'JWT' })
        .setSubject(claims.userId ?? legacyUserId(user))
        .setIssuer(claims.iss ?? issuer)
        .setAudience(claims.aud ?? audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.ttlSeconds ?? 300))
        .sign(privateKey)
    },
  }
}
export type TestIssuer = Awaited<ReturnType<typeof testIssuer>>
