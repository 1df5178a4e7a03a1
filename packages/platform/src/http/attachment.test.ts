import assert from 'node:assert/strict'
import { test } from 'node:test'
import { attachment } from './attachment.ts'

test('an ASCII name is the same in both forms', () => {
  assert.equal(
    attachment('incident.mp3'),
    `attachment; filename="incident.mp3"; filename*=UTF-8''incident.mp3`,
  )
})

test('any other name has an ASCII fallback and its UTF-8 form', () => {
  assert.equal(
    attachment('Grüße 🚚.csv'),
    `attachment; filename="Gr__e _.csv"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%F0%9F%9A%9A.csv`,
  )
})

test('quotes, backslashes and percent signs cannot break out of the fallback, nor the rest of RFC 8187 out of filename*', () => {
  const header = attachment(`a"b\\c%41'(d)*.gpx`)
  assert.equal(
    header,
    `attachment; filename="a_b_c_41'(d)*.gpx"; filename*=UTF-8''a%22b%5Cc%2541%27%28d%29%2A.gpx`,
  )
  const encoded = header.split("UTF-8''")[1]!
  assert.match(encoded, /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/, "only RFC 8187's attr-char and escapes")
  assert.equal(decodeURIComponent(encoded), `a"b\\c%41'(d)*.gpx`)
})
