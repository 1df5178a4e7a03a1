import http from 'node:http'

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
export function sendMultipart(
  url: string,
  token: string,
  options: { total: number; declare: boolean; abortAfter?: number },
) {
  return new Promise<{ status?: number; body: string; sent: number }>((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    }
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`)
    if (options.declare) headers['content-length'] = HEAD.length + options.total + tail.length
    const request = http.request(url, { method: 'POST', headers, agent: false })
    let sent = 0
    let answered = false
    const chunk = Buffer.alloc(options.abortAfter === undefined ? 1024 * 1024 : 64 * 1024)
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
        if (burst === 256) return void setImmediate(pump)
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
