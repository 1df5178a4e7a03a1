import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { Media } from '@convoy/contracts'
import { eventually } from '@convoy/platform/testing'
import { startMedia, type TestMedia } from './test-support.ts'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const BOUNDARY = 'convoy-test-boundary'
const HEAD = Buffer.from(
  `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="huge.mp4"\r\n` +
    'content-type: video/mp4\r\n\r\n',
)

/**
 * Sends a multipart upload of `total` bytes (zeros) the way a real client does, backpressure
 * honoured, until the server answers or `abortAfter` bytes are out (then the client goes away).
 * What the server answered, and how many bytes the client got to send.
 */
function send(url: string, token: string, options: { total: number; declare: boolean; abortAfter?: number }) {
  return new Promise<{ status?: number; body: string; sent: number }>((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    }
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`)
    if (options.declare) headers['content-length'] = HEAD.length + options.total + tail.length
    const request = http.request(`${url}/media`, { method: 'POST', headers })
    let sent = 0
    let answered = false
    const chunk = Buffer.alloc(256 * 1024)
    request.on('response', (response) => {
      answered = true
      let body = ''
      response.setEncoding('utf8').on('data', (text: string) => (body += text))
      response.on('end', () => resolve({ status: response.statusCode, body, sent }))
    })
    // The server may close the connection once it has answered: that is how it stops a 1 GB body.
    let failed = false
    request.on('error', (error) => {
      failed = true
      if (!answered) reject(error)
    })
    const pump = () => {
      for (let burst = 0; !answered && !failed && sent < options.total; burst++) {
        // A breath now and then, so the answer (or the error) is seen while sending.
        if (burst === 64) return void setImmediate(pump)
        if (options.abortAfter !== undefined && sent >= options.abortAfter) {
          request.destroy()
          return resolve({ body: '', sent })
        }
        sent += chunk.length
        if (!request.write(chunk)) return void request.once('drain', pump)
      }
      if (!answered && !failed) request.end(tail)
    }
    request.write(HEAD)
    pump()
  })
}

describe('media uploads at the limit', () => {
  let media: TestMedia
  let token: string

  before(async () => {
    media = await startMedia({ MAX_UPLOAD_BYTES: String(1 * MiB) })
    token = await media.issuer.token({ sub: 'ann', role: 'dispatcher' })
  })
  after(() => media.close())

  const jobs = async () =>
    (await (
      await fetch(`${media.url}/media`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Media[]

  test('a 1 GB upload declared as such is refused with 413 before its body is read', async () => {
    const result = await send(media.url, token, { total: GiB, declare: true })
    assert.equal(result.status, 413)
    assert.match(result.body, /larger than the limit of 1048576 bytes/)
    assert.ok(result.sent < 64 * MiB, `the client got to send ${result.sent} bytes`)
    assert.deepEqual(await media.leftovers(), [])
    assert.deepEqual(await jobs(), [])
  })

  test('a 1 GB upload of unknown length is cut off with 413 soon after the limit', async () => {
    const result = await send(media.url, token, { total: GiB, declare: false })
    assert.equal(result.status, 413)
    assert.match(result.body, /"status":413/)
    assert.ok(result.sent < 64 * MiB, `the client got to send ${result.sent} bytes`)
    await eventually(async () => (await media.leftovers()).length === 0, 'the partial upload removed')
    assert.deepEqual(await jobs(), [])
  })

  test('an upload aborted halfway leaves no file and no job', async () => {
    const result = await send(media.url, token, { total: 900 * 1024, declare: true, abortAfter: 512 * 1024 })
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
