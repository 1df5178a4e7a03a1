import { BadRequestError, UnauthorizedError } from '@convoy/platform/errors'

export const BASIC_CHALLENGE = 'Basic realm="convoy", charset="UTF-8"'
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * The username and password of an `Authorization: Basic …` header (RFC 7617). No header is a
 * 401 with a Basic challenge; a header that is not Basic, not base64 or has no colon is a 400.
 */
export function basicCredentials(header: string | undefined, challenge = BASIC_CHALLENGE) {
  if (!header)
    throw new UnauthorizedError('log in with Authorization: Basic base64(username:password)', challenge)
  const match = /^Basic +(\S+) *$/i.exec(header)
  if (!match) throw new BadRequestError('the Authorization header is not Basic credentials')
  const encoded = match[1]!
  if (!BASE64.test(encoded)) throw new BadRequestError('the Basic credentials are not base64')
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0)
    throw new BadRequestError('the Basic credentials have no colon between username and password')
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
