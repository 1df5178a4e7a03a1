import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { freePorts } from '@convoy/platform/testing'
import { MediaRefusedError, MediaUnavailableError, mediaClient } from './media-client.ts'

// The failures of media's internal API that the stand-in of the job tests does not play:
// answers that never come, bodies cut short, a server that is not there, other statuses.
describe('media client', () => {
  let dir: string
  let server: http.Server
  let url: string
  let handle: (request: http.IncomingMessage, response: http.ServerResponse) => void

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'converter-client-'))
    server = http.createServer((request, response) => handle(request, response))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await rm(dir, { recursive: true, force: true })
  })

  const file = (name: string) => path.join(dir, name)
  const client = () => mediaClient({ baseUrl: url, idleTimeoutMs: 300 })

  test('downloads the video to a file and uploads the MP3 with its length and type', async () => {
    let upload: { headers: http.IncomingHttpHeaders; url?: string; body: Buffer } | undefined
    handle = (request, response) => {
      if (request.method === 'GET') return void response.end('video bytes')
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        upload = { headers: request.headers, url: request.url, body: Buffer.concat(chunks) }
        response.writeHead(204).end()
      })
    }
    assert.equal(await client().downloadVideo('a', 'secret-token', file('a.video')), true)
    assert.equal(await readFile(file('a.video'), 'utf8'), 'video bytes')

    await writeFile(file('a.mp3'), 'mp3 bytes')
    assert.equal(await client().uploadMp3('a', 'secret-token', file('a.mp3')), true)
    assert.equal(upload?.url, '/internal/media/a/mp3', 'no double slash after a base URL ending in /')
    assert.equal(upload?.headers.authorization, 'Bearer secret-token')
    assert.equal(upload?.headers['content-type'], 'audio/mpeg')
    assert.equal(upload?.headers['content-length'], '9')
    assert.equal(upload?.body.toString(), 'mp3 bytes')
  })

  test('statuses: 404 is false, 401 and other 4xx refuse, 5xx, 408 and 429 are passing', async () => {
    for (const [status, outcome] of [
      [404, false],
      [401, MediaRefusedError],
      [403, MediaRefusedError],
      [413, MediaRefusedError],
      [408, MediaUnavailableError],
      [429, MediaUnavailableError],
      [502, MediaUnavailableError],
    ] as const) {
      handle = (_request, response) => void response.writeHead(status).end('{"detail":"no"}')
      const call = client().downloadVideo('s', 'token', file(`s${status}`))
      if (outcome === false) assert.equal(await call, false, `${status}`)
      else await assert.rejects(call, outcome, `${status}`)
    }
  })

  test('an answer that never comes, or a body that stops, is abandoned after the idle timeout', async () => {
    handle = () => {} // never answers
    await assert.rejects(client().downloadVideo('b', 'token', file('b1')), {
      name: 'MediaUnavailableError',
      message: 'media service stalled (nothing for 300 ms)',
    })
    handle = (_request, response) => {
      response.writeHead(200, { 'content-length': '1000' })
      response.write('the first bytes, then nothing') // and never ends
    }
    await assert.rejects(client().downloadVideo('b', 'token', file('b2')), MediaUnavailableError)
  })

  test('a body cut short or a server that is not there is passing', async () => {
    handle = (request, response) => {
      response.writeHead(200, { 'content-length': '1000' })
      response.write('some bytes', () => request.socket.destroy())
    }
    await assert.rejects(client().downloadVideo('c', 'token', file('c1')), MediaUnavailableError)

    const [port] = await freePorts(1)
    const absent = mediaClient({ baseUrl: `http://127.0.0.1:${port}` })
    await assert.rejects(absent.downloadVideo('c', 'token', file('c2')), {
      name: 'MediaUnavailableError',
      message: 'media service unreachable (ECONNREFUSED)',
    })
  })
})
