import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { after, test } from 'node:test'
import Fastify from 'fastify'
import { LINGER_BYTES, lingerThenClose } from './lingering-close.ts'

// Refused before its body is read, as a wrong role or a declared size over the limit is.
const app = Fastify()
app.post('/upload', { onRequest: async () => Promise.reject(new Error('refused')) }, async () => 'taken')
app.setErrorHandler((_error, request, reply) => {
  lingerThenClose(request.raw, reply)
  return reply.code(403).send({ refused: true })
})
const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
const sockets = new Set<Socket>()
after(() => {
  // A failed test may leave an upload going, which the server would wait for.
  for (const socket of sockets) socket.destroy()
  return app.close()
})

const CHUNK = Buffer.alloc(64 * 1024)

/** An upload of `declared` bytes, its headers and first chunk sent; what comes back is collected. */
async function startUpload(declared: number) {
  // Half open, as an HTTP client is: the server's end does not end the sending.
  const socket = connect({ port: Number(address.port), host: address.hostname, allowHalfOpen: true })
  sockets.add(socket)
  await once(socket, 'connect')
  let answer = ''
  const answered = new Promise<void>((resolve) =>
    socket.on('data', (data: Buffer) => {
      answer += data.toString()
      if (answer.endsWith('{"refused":true}')) resolve()
    }),
  )
  socket.write(
    `POST /upload HTTP/1.1\r\nHost: convoy\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${declared}\r\n\r\n`,
  )
  socket.write(CHUNK)
  return { socket, answered, answer: () => answer }
}

const write = (socket: Socket, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => socket.write(chunk, (error) => (error ? reject(error) : resolve())))

test('a client still sending reads the early answer, then the end, and may finish sending', async () => {
  const upload = await startUpload(64 * CHUNK.length)
  await upload.answered
  assert.match(upload.answer(), /^HTTP\/1\.1 403 /)
  assert.match(upload.answer(), /\r\nconnection: close\r\n/i)
  await once(upload.socket, 'end')
  // The server ended its side only: the rest of the body is still read, not refused with a reset.
  for (let sent = 1; sent < 64; sent++) await write(upload.socket, CHUNK)
  upload.socket.end()
  await once(upload.socket, 'close')
})

test('a client that sends on and on is read no further, then cut, having read the answer', async () => {
  const upload = await startUpload(1024 * 1024 * 1024)
  upload.socket.on('error', () => {}) // the broken pipe the cut causes
  const closed = new Promise((resolve) => upload.socket.once('close', resolve))
  let open = true
  void closed.then(() => (open = false))
  let sent = CHUNK.length
  while (open) {
    sent += CHUNK.length
    if (!upload.socket.write(CHUNK))
      await Promise.race([once(upload.socket, 'drain').catch(() => {}), closed])
  }
  await upload.answered
  assert.ok(sent > LINGER_BYTES, `cut after ${sent} bytes`)
})
