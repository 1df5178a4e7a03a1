/**
 * A multipart upload (`file` field) the way a browser sends one, over a connection of its own,
 * timed: when the last byte went to the socket and when the answer came. The body is a file or
 * `zeros` bytes of zeros; with `declare` the request carries its Content-Length, else it is
 * chunked. Sending stops as soon as the server answers (a 413 while the client is still sending).
 */
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'

const BOUNDARY = 'convoy-bench-boundary'
const CHUNK = 1024 * 1024

export interface UploadResult {
  status?: number
  body: string
  /** Bytes of the file part handed to the socket (flushed to the kernel). */
  sent: number
  /** From the start of the request: the whole body flushed (when it was). */
  sentMs?: number
  /** From the start of the request: the answer's headers. */
  answeredMs?: number
  /** When the answer's headers came (`performance.now()`). */
  answeredAt?: number
  /** The connection failed before an answer (e.g. reset by a server that stopped reading). */
  error?: string
}

async function* zeros(total: number) {
  const chunk = Buffer.alloc(CHUNK)
  for (let left = total; left > 0; left -= CHUNK) yield left >= CHUNK ? chunk : chunk.subarray(0, left)
}

export async function upload(
  url: string,
  token: string,
  options: { file?: string; zeros?: number; filename: string; declare?: boolean; timeoutMs?: number },
): Promise<UploadResult> {
  const size = options.file ? (await stat(options.file)).size : (options.zeros ?? 0)
  const head = Buffer.from(
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="${options.filename}"\r\n` +
      'content-type: video/mp4\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`)
  const headers: Record<string, string | number> = {
    authorization: `Bearer ${token}`,
    'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  }
  if (options.declare ?? true) headers['content-length'] = head.length + size + tail.length

  const started = performance.now()
  const since = () => Math.round((performance.now() - started) * 10) / 10
  const result: UploadResult = { body: '', sent: 0 }
  const request = http.request(url, { method: 'POST', headers, agent: false })
  const timer = setTimeout(() => request.destroy(new Error('upload timed out')), options.timeoutMs ?? 600_000)
  let stopped = false
  const finished = new Promise<void>((resolve) => {
    request.on('response', (response) => {
      result.answeredAt = performance.now()
      result.answeredMs = since()
      result.status = response.statusCode
      stopped = true
      response.setEncoding('utf8').on('data', (text: string) => (result.body += text))
      response.on('end', resolve).on('error', () => resolve())
    })
    request.on('error', (error) => {
      stopped = true
      result.error ??= error.message
      resolve()
    })
    request.on('close', () => resolve())
  })

  const source = options.file ? createReadStream(options.file, { highWaterMark: CHUNK }) : zeros(size)
  request.write(head)
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (stopped) break
    const length = chunk.length
    const flowing = request.write(chunk, (error) => !error && (result.sent += length))
    if (!flowing && !stopped) await Promise.race([once(request, 'drain').catch(() => {}), finished])
  }
  if ('destroy' in source) source.destroy()
  if (!stopped) request.end(tail, () => (result.sentMs = since()))
  await finished
  clearTimeout(timer)
  // A body the server no longer reads: the connection goes.
  if (result.sentMs === undefined) request.destroy()
  return result
}
