import type { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'

/** How much of an unread body is read and dropped after an early answer, at most, and for how long. */
export const LINGER_BYTES = 16 * 1024 * 1024
const LINGER_MS = 2000

/**
 * A request answered before its body was read (refused: too large, wrong role, not a video):
 * the rest of the body is read and dropped for a short while, so the client, still sending, gets
 * to read the answer (closing at once would reset the connection under it, and it would see a
 * broken pipe instead of the 413). Past `LINGER_BYTES` nothing more is read: TCP's flow control
 * stops the client's sending while it reads the answer; at `LINGER_MS` the connection is cut. A
 * client sending a gigabyte is not read to the end, and is never cut a moment after the answer
 * (a reset then can drop the answer it has not read yet: a busy client saw a broken pipe). Called
 * by the error handler (problems.ts), where every early refusal ends, before it answers.
 */
export function lingerThenClose(
  request: IncomingMessage,
  reply: { header(name: string, value: string): unknown },
): void {
  const socket = request.socket
  // Injected requests (tests) have no connection to keep open or cut.
  if (!(socket instanceof Socket)) return
  let read = 0
  const cut = () => socket.destroy()
  const timer = setTimeout(cut, LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
  // The answer says the connection ends with it; Node then ends it and destroys it at once.
  // Instead: end the sending side only (the client sees the answer, then the end), and keep
  // reading what the client still sends until it stops, or the limits say enough.
  void reply.header('connection', 'close')
  socket.destroySoon = () => void socket.end()
  socket.on('data', (chunk: Buffer) => {
    read += chunk.length
    if (read > LINGER_BYTES) socket.pause()
  })
  request.resume()
}
