import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Media } from '@convoy/contracts'
import { eventually, sendMultipart as send } from '@convoy/platform/testing'
import { startMedia, type TestMedia } from './test-support.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('media uploads at the limit', () => {
  let media: TestMedia
  let token: string

  before(async () => {
    media = await startMedia({ MAX_UPLOAD_BYTES: String(1 * MiB) })
    token = await media.issuer.token({ user: 'ann', role: 'dispatcher' })
  })
  after(() => media.close())

  const jobs = async () =>
    (await (
      await fetch(`${media.url}/media`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Media[]

  test('a 1 GB upload declared as such is refused with 413 before its body is read', async () => {
    const result = await send(`${media.url}/media`, token, { total: GiB, declare: true })
    assert.equal(result.status, 413)
    assert.match(result.body, /larger than the limit of 1048576 bytes/)
    assert.ok(result.sent < 64 * MiB, `the client got to send ${result.sent} bytes`)
    assert.deepEqual(await media.leftovers(), [])
    assert.deepEqual(await jobs(), [])
  })

  test('a 1 GB upload of unknown length is cut off with 413 soon after the limit', async () => {
    const result = await send(`${media.url}/media`, token, { total: GiB, declare: false })
    assert.equal(result.status, 413)
    assert.match(result.body, /"status":413/)
    assert.ok(result.sent < 64 * MiB, `the client got to send ${result.sent} bytes`)
    await eventually(async () => (await media.leftovers()).length === 0, 'the partial upload removed')
    assert.deepEqual(await jobs(), [])
  })

  test('an upload aborted halfway leaves no file and no job', async () => {
    const result = await send(`${media.url}/media`, token, {
      total: 900 * 1024,
      declare: true,
      abortAfter: 512 * 1024,
    })
    assert.equal(result.status, undefined, 'the client went away before any answer')
    await eventually(async () => (await media.leftovers()).length === 0, 'the partial upload removed')
    assert.deepEqual(await jobs(), [])
  })

  test('a video just under the limit is accepted', async () => {
    const form = new FormData()
    form.append(
      'file',
      new Blob([await (await import('node:fs/promises')).readFile(media.video)]),
      'clip.mp4',
    )
    const response = await fetch(`${media.url}/media`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(response.status, 202)
  })
})

describe('media uploads that are not proper multipart', () => {
  let media: TestMedia
  let token: string

  before(async () => {
    media = await startMedia()
    token = await media.issuer.token({ user: 'ann', role: 'dispatcher' })
  })
  after(() => media.close())

  const upload = (contentType: string, body: string) =>
    fetch(`${media.url}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    })
  const part = (boundary: string, content: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n` +
    `Content-Type: video/mp4\r\n\r\n${content}`

  for (const [what, contentType, body] of [
    ['multipart/form-data without a boundary', 'multipart/form-data', part('xyz', 'abc') + '\r\n--xyz--\r\n'],
    ['a form whose closing boundary never comes', 'multipart/form-data; boundary=xyz', part('xyz', 'abc')],
    ['a form that ends in a part header', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disp'],
    ['a form with no part at all', 'multipart/form-data; boundary=xyz', '--xyz--\r\n'],
    ['a body that is not a form at all', 'multipart/form-data; boundary=xyz', 'just some text'],
  ]) {
    test(`${what} is a 400 problem, and nothing is kept`, async () => {
      const response = await upload(contentType!, body!)
      assert.equal(response.status, 400)
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/)
      const problem = (await response.json()) as { detail: string }
      assert.match(problem.detail, /multipart|form/i)
      await eventually(async () => (await media.leftovers()).length === 0, 'nothing left on disk')
    })
  }
})
