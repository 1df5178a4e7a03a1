/**
 * The nginx edge (deploy/k8s/components/nginx-edge) for real: the nginx.conf the component ships,
 * run by this machine's nginx in front of the stack topology. A user logs in, reads the vehicles,
 * follows the live feed over a WebSocket and uploads a video through it; the upload's streaming,
 * the client's address as auth sees it, the edge's request id, JSON access log, gzip, body limits,
 * problem+json refusals, rate limit and stub_status are checked as a client sees them.
 */
import assert from 'node:assert/strict'
import { openAsBlob } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { MULTIPART_ENVELOPE_BYTES, type Media, type Vehicle } from '@convoy/contracts'
import {
  eventually,
  freePorts,
  makeTestVideo,
  runNginx,
  startMailCatcher,
  type MailCatcher,
  type Nginx,
} from '@convoy/platform/testing'
import { login, openLiveFeed, startTestStack, type LiveFeed, type TestStack } from '@convoy/system/testing'

const COMPONENT = new URL('../../../../deploy/k8s/components/nginx-edge/', import.meta.url)
const WEB_DIST = fileURLToPath(new URL('../../../../services/web/dist/', import.meta.url))
/** auth's LOGIN_MAX_ATTEMPTS_PER_IP in this test (the first admin's login, from 127.0.0.1, is one). */
const ATTEMPTS_PER_ADDRESS = 3
/** The gateway's MAX_UPLOAD_BYTES (services/gateway/src/config.ts): what the edge lets through. */
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024

/**
 * The shipped nginx.conf with the three lines marked `# test: …` pointed at this machine: the
 * edge's and the status server's ports, and the gateway's address. Nothing else is changed.
 */
function configForTest(shipped: string, ports: { edge: number; status: number; gateway: string }): string {
  const replacements: Record<string, string> = {
    "the edge's port": `listen 127.0.0.1:${ports.edge};`,
    'the status port': `listen 127.0.0.1:${ports.status};`,
    "the gateway's address": `server ${ports.gateway};`,
  }
  // A directive followed by its mark (a comment line may mention marks without being one).
  const MARKED = /^(\s*)[^#\s].*# test: (.+)$/
  const lines = shipped.split('\n')
  assert.deepEqual(
    lines.flatMap((line) => MARKED.exec(line)?.[2] ?? []).sort(),
    Object.keys(replacements).sort(),
    'the lines the test may change',
  )
  return lines
    .map((line) => {
      const [, indent, mark] = MARKED.exec(line) ?? []
      return mark ? `${indent}${replacements[mark]}` : line
    })
    .join('\n')
}

interface AccessLine {
  time: string
  level: string
  service: string
  msg: string
  reqId: string
  method: string
  url: string
  statusCode: number
  responseTime: number
  remoteAddress: string
}

describe('the nginx edge in front of the stack topology', () => {
  let dir: string
  let video: string
  let smtp: MailCatcher
  let system: TestStack
  let nginx: Nginx
  let edge: string
  let status: string
  let token: string
  let live: LiveFeed
  let shipped: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convoy-nginx-edge-'))
    video = path.join(dir, 'dashcam.mp4')
    await makeTestVideo(video, { seconds: 2 })
    smtp = await startMailCatcher()
    system = await startTestStack({
      serviceEnv: {
        notification: { SMTP_PORT: String(smtp.port) },
        // Where media spools an upload as it arrives: the test watches it fill.
        media: { WORK_DIR: path.join(dir, 'media-work') },
        // The gateway trusts a whole range the edge is in, as the component's TRUST_PROXY does (the
        // private ranges), clients' addresses included; its own per-client limit is raised so
        // that a 429 here can only be the edge's.
        gateway: { TRUST_PROXY: '127.0.0.0/8', RATE_LIMIT_MAX: '100000' },
        // Few login attempts per address, so that the address auth sees can be told from the test.
        auth: { LOGIN_MAX_ATTEMPTS_PER_IP: String(ATTEMPTS_PER_ADDRESS) },
      },
    })
    const [edgePort, statusPort] = (await freePorts(2)) as [number, number]
    edge = `http://127.0.0.1:${edgePort}`
    status = `http://127.0.0.1:${statusPort}`
    shipped = await readFile(new URL('nginx.conf', COMPONENT), 'utf8')
    nginx = await runNginx({
      config: configForTest(shipped, {
        edge: edgePort,
        status: statusPort,
        gateway: new URL(system.url).host,
      }),
      readyUrl: `${status}/healthz`,
    })
    token = await login(edge)
  })

  after(async () => {
    live?.close()
    await nginx?.stop()
    await system?.close()
    await smtp?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const api = (url: string, init: RequestInit = {}) =>
    fetch(`${edge}/api${url}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    })
  /** nginx's access log line of a request, once written (after the answer). */
  const accessLine = (reqId: string) =>
    eventually(
      async () =>
        (await nginx.stdout())
          .map((line) => JSON.parse(line) as AccessLine)
          .find((line) => line.reqId === reqId),
      `the access log line of ${reqId}`,
    )

  test('login, the vehicles and the live feed over a WebSocket, through the edge', async () => {
    const vehicles = await eventually(async () => {
      const response = await api('/vehicles')
      assert.equal(response.status, 200)
      const list = (await response.json()) as Vehicle[]
      return list.length > 0 ? list : null
    }, 'the simulated vehicles')
    assert.ok(vehicles.every((vehicle) => typeof vehicle.name === 'string'))
    // Resolved once the gateway counts the client: the upgrade went through nginx.
    live = await openLiveFeed({ url: edge, opsUrl: system.ops.gateway }, token)
    await eventually(
      () => live.frames.some((frame) => frame.type === 'positions'),
      'positions on the live feed',
    )
  })

  test('an upload streams through the edge and is converted to ready', async () => {
    const form = new FormData()
    form.append('file', await openAsBlob(video), 'dashcam.mp4')
    const response = await api('/media', { method: 'POST', body: form })
    assert.equal(response.status, 202, await response.clone().text())
    const job = (await response.json()) as Media
    await eventually(
      async () => ((await (await api(`/media/${job.id}`)).json()) as Media).status === 'ready',
      'the video converted',
      60_000,
    )
  })

  test('an upload streams on to media as it arrives: the edge does not wait for the whole body', async () => {
    const bytes = await readFile(video)
    const half = Math.floor(bytes.length / 2)
    const boundary = 'convoy-edge-test'
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.mp4"\r\n` +
        'Content-Type: video/mp4\r\n\r\n',
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    const request = http.request(`${edge}/api/media`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + bytes.length + tail.length,
      },
    })
    const answered = new Promise<http.IncomingMessage>((resolve, reject) =>
      request.on('response', resolve).on('error', reject),
    )
    request.write(Buffer.concat([head, bytes.subarray(0, half)]))
    // With the rest not sent yet, media is already writing what came (buffered, nginx would hold it).
    const spooled = async () => {
      const files = await readdir(path.join(dir, 'media-work'), { recursive: true })
      const uploads = files.filter((file) => path.basename(file).startsWith('upload-'))
      const sizes = await Promise.all(
        uploads.map(
          async (file) => (await stat(path.join(dir, 'media-work', file)).catch(() => null))?.size ?? 0,
        ),
      )
      return sizes.some((size) => size > 0)
    }
    await eventually(spooled, 'the first half of the video at media')
    request.end(Buffer.concat([bytes.subarray(half), tail]))
    const response = await answered
    response.resume()
    assert.equal(response.statusCode, 202)
  })

  test('the request id is made at the edge, reaches the gateway and is logged; a valid one of the client is kept', async () => {
    // The id in the answer is the gateway's x-request-id (the edge adds none to proxied answers).
    const made = (await api('/vehicles')).headers.get('x-request-id') ?? ''
    assert.match(made, /^[0-9a-f]{32}$/, "nginx's $request_id")
    assert.equal((await accessLine(made)).url, '/api/vehicles')

    const given = 'trip-42.retry:1'
    assert.equal(
      (await api('/vehicles', { headers: { 'x-request-id': given } })).headers.get('x-request-id'),
      given,
    )
    await accessLine(given)

    const refused = (
      await api('/vehicles', { headers: { 'x-request-id': 'no spaces allowed' } })
    ).headers.get('x-request-id')
    assert.match(refused ?? '', /^[0-9a-f]{32}$/, 'an invalid id is replaced')
  })

  test("the access log is JSON lines in the services' fields", async () => {
    // A user agent with quotes and a backslash: escape=json keeps the line JSON.
    const agent = 'probe "quoted" \\ agent'
    const reqId = (await api('/nowhere?at=1', { headers: { 'user-agent': agent } })).headers.get(
      'x-request-id',
    )!
    const line = await accessLine(reqId)
    assert.deepEqual(
      { ...line, time: undefined, responseTime: undefined },
      {
        ...line,
        time: undefined,
        responseTime: undefined,
        level: 'info',
        service: 'edge',
        msg: 'request completed',
        method: 'GET',
        url: '/api/nowhere?at=1',
        statusCode: 404,
        userAgent: agent,
        remoteAddress: '127.0.0.1',
      },
    )
    assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 60_000, `time ${line.time}`)
    assert.ok(
      Number.isInteger(line.responseTime) && line.responseTime >= 0,
      `responseTime ${line.responseTime}`,
    )
    // Every line so far parses, each with the service fields.
    for (const text of await nginx.stdout()) {
      const each = JSON.parse(text) as AccessLine
      assert.deepEqual(
        [each.service, typeof each.reqId, typeof each.statusCode],
        ['edge', 'string', 'number'],
      )
    }
  })

  test("gzip: the web app's assets arrive compressed, and the edge compresses what the gateway sends plain", async () => {
    const scripts = (await readdir(path.join(WEB_DIST, 'assets'))).filter((name) => name.endsWith('.js'))
    assert.ok(scripts.length > 0, 'the web app is built (npm run build -w @convoy/web)')
    const asset = await fetch(`${edge}/assets/${scripts[0]}`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(asset.headers.get('content-encoding'), 'gzip')
    assert.equal(await asset.text(), await readFile(path.join(WEB_DIST, 'assets', scripts[0]!), 'utf8'))

    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' }
    const direct = await fetch(`${system.url}/api/vehicles`, { headers })
    assert.equal(direct.headers.get('content-encoding'), null, 'the gateway sends JSON plain')
    const viaEdge = await fetch(`${edge}/api/vehicles`, { headers })
    assert.equal(viaEdge.headers.get('content-encoding'), 'gzip')
    // The same fleet (positions move between the two requests).
    const names = async (response: Response) =>
      ((await response.json()) as Vehicle[]).map((v) => v.name).sort()
    assert.deepEqual(await names(viaEdge), await names(direct))
  })

  test('a body over the limit gets 413 problem+json from the edge, an upload declaring too much too', async () => {
    const big = await fetch(`${edge}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024), password: 'x' }),
    })
    assert.equal(big.status, 413)
    assert.equal(big.headers.get('content-type'), 'application/problem+json')
    // The edge's answer (the gateway's would name its own limit).
    assert.match(((await big.json()) as { detail: string }).detail, /larger than this endpoint accepts/)

    // The header alone is refused: nginx answers before a byte of the body is sent.
    const declared = MAX_UPLOAD_BYTES + MULTIPART_ENVELOPE_BYTES + 1
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(`${edge}/api/media`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': declared,
        },
      })
      request.on('response', resolve).on('error', reject)
      request.flushHeaders()
    })
    answer.resume()
    answer.socket.destroy()
    assert.equal(answer.statusCode, 413)
    assert.equal(answer.headers['content-type'], 'application/problem+json')
    assert.match(String(answer.headers['x-request-id']), /^[0-9a-f]{32}$/)
  })

  test('stub_status answers on its own port', async () => {
    const text = await (await fetch(`${status}/stub_status`)).text()
    assert.match(text, /^Active connections: \d+/)
    assert.match(text, /server accepts handled requests\n \d+ \d+ \d+/)
    assert.match(text, /Reading: \d+ Writing: \d+ Waiting: \d+/)
    const pub = await (await fetch(`${edge}/stub_status`)).text()
    assert.doesNotMatch(pub, /Active connections/, 'not on the public port')
  })

  test('with the gateway out of reach: 503 problem+json with its request id, and an error line', async () => {
    // A second edge from the same file, its upstream a port nothing listens on.
    const [edgePort, statusPort, nowhere] = (await freePorts(3)) as [number, number, number]
    const orphan = await runNginx({
      config: configForTest(shipped, { edge: edgePort, status: statusPort, gateway: `127.0.0.1:${nowhere}` }),
      readyUrl: `http://127.0.0.1:${statusPort}/healthz`,
    })
    try {
      const response = await fetch(`http://127.0.0.1:${edgePort}/api/vehicles`)
      assert.equal(response.status, 503)
      assert.equal(response.headers.get('content-type'), 'application/problem+json')
      assert.equal(response.headers.get('retry-after'), '5')
      assert.equal(((await response.json()) as { status: number }).status, 503)
      const reqId = response.headers.get('x-request-id') ?? ''
      assert.match(reqId, /^[0-9a-f]{32}$/)
      const line = await eventually(
        async () =>
          (await orphan.stdout())
            .map((text) => JSON.parse(text) as AccessLine)
            .find((l) => l.reqId === reqId),
        'the access log line',
      )
      assert.deepEqual([line.level, line.statusCode], ['error', 503])
    } finally {
      await orphan.stop()
    }
  })

  /** A failed login through the edge from a loopback address of our choosing (127.0.0.0/8 is all ours). */
  const failedLoginFrom = (localAddress: string, forwardedFor: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${edge}/api/auth/login`, {
        method: 'POST',
        localAddress,
        headers: {
          authorization: `Basic ${Buffer.from('nobody:wrong').toString('base64')}`,
          'x-forwarded-for': forwardedFor,
        },
      })
      request.on('error', reject).on('response', (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => (body += chunk.toString()))
        response.on('end', () => resolve({ status: response.statusCode!, body }))
      })
      request.end()
    })

  test("the client's address reaches auth through the edge and the gateway; one it names itself does not", async () => {
    // Each attempt forges another address: believed, none would ever reach the limit.
    for (let i = 1; i <= ATTEMPTS_PER_ADDRESS; i++)
      assert.equal((await failedLoginFrom('127.0.0.5', `198.51.100.${i}`)).status, 401)
    const refused = await failedLoginFrom('127.0.0.5', '198.51.100.99')
    assert.equal(refused.status, 429)
    assert.match(refused.body, /too many login attempts from this address/)
    // Another client is not the edge's address to auth: it has its own attempts.
    assert.equal((await failedLoginFrom('127.0.0.6', '127.0.0.5')).status, 401)
    const lines = (await nginx.stdout()).map((text) => JSON.parse(text) as AccessLine)
    assert.ok(lines.some((line) => line.remoteAddress === '127.0.0.5' && line.statusCode === 429))
  })

  // Last: it spends this address's allowance (back within seconds, as the test shows).
  test('a flood from one address gets 429 from the edge beyond the burst, and passes again soon after', async () => {
    // Unauthenticated: the gateway answers 401 at once, without a service behind it.
    const answers = await Promise.all(
      Array.from({ length: 400 }, async () => {
        const response = await fetch(`${edge}/api/vehicles`)
        return {
          status: response.status,
          body: await response.text(),
          retry: response.headers.get('retry-after'),
        }
      }),
    )
    const limited = answers.filter((answer) => answer.status === 429)
    assert.ok(limited.length > 0, 'some refused')
    assert.ok(answers.length - limited.length > 200, 'the burst of 200 passed')
    assert.ok(answers.every((answer) => [401, 429].includes(answer.status)))
    assert.match(limited[0]!.body, /Too many requests from this address/)
    assert.equal(limited[0]!.retry, '1')
    await eventually(
      async () => (await fetch(`${edge}/api/vehicles`)).status === 401,
      'let through again',
      10_000,
    )
  })
})
