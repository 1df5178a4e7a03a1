import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { mediaReady, MediaEventV1, type Email, type Notification } from '@convoy/contracts'
import { connectBroker, type Broker } from '@convoy/platform/messaging'
import {
  createTestDatabase,
  createTestVhost,
  eventually,
  testLogger,
  uniqueName,
} from '@convoy/platform/testing'
import { testIssuer, type TestIssuer } from '@convoy/access/testing'
import { startMailCatcher, type MailCatcher } from '@convoy/platform/testing'

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url))
const PASSWORD = `smtp-${randomBytes(12).toString('hex')}`

let database: Awaited<ReturnType<typeof createTestDatabase>>
let vhost: Awaited<ReturnType<typeof createTestVhost>>
let jwks: { env: Record<string, string>; close(): Promise<void> }
let issuer: TestIssuer
let catcher: MailCatcher
let broker: Broker
let service: ChildProcess
const output: string[] = []
let url: string
let opsUrl: string

before(async () => {
  ;[database, vhost, issuer] = await Promise.all([createTestDatabase(), createTestVhost(), testIssuer()])
  jwks = await issuer.serveAuth()
  // The server refuses the first login, so the service meets an SMTP error with its password in play.
  let tries = 0
  catcher = await startMailCatcher({
    login: (user, password) => tries++ > 0 && user === 'convoy' && password === PASSWORD,
  })
  service = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      DATABASE_URL: database.url,
      AMQP_URL: vhost.url,
      ...jwks.env,
      PUBLIC_URL: 'https://convoy.example.test',
      MAIL_FROM: 'Convoy <noreply@example.test>',
      MAIL_DOMAIN: 'example.test',
      SMTP_PORT: String(catcher.port),
      SMTP_USER: 'convoy',
      SMTP_PASSWORD: PASSWORD,
      SMTP_TIMEOUT_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  for (const stream of [service.stdout!, service.stderr!])
    stream.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)))
  const listening = await eventually(
    () => logs().find((line) => line.msg === 'listening') as { url: string; opsUrl: string } | undefined,
    'the service listening',
    30_000,
  )
  ;({ url, opsUrl } = listening)
  broker = connectBroker({ url: vhost.url, log: testLogger() })
  await eventually(async () => (await fetch(`${opsUrl}/readyz`)).ok, 'the service ready')
})

after(async () => {
  await broker?.close()
  if (service && service.exitCode === null) {
    service.kill('SIGKILL')
    await once(service, 'exit')
  }
  await Promise.all([catcher?.close(), jwks?.close()])
  await Promise.all([database?.drop(), vhost?.drop()])
})

const logs = () => output.map((line) => JSON.parse(line) as Record<string, unknown>)
const get = async (path: string, username?: string) =>
  fetch(`${url}${path}`, {
    headers: username ? { authorization: `Bearer ${await issuer.token({ user: username })}` } : {},
  })

test('a job finishes: the owner gets an email and a notification; metrics count them', async () => {
  const owner = uniqueName('grace')
  const mediaId = randomUUID()
  // Uploaded a minute and a half ago; converted now.
  const uploaded = Date.now() - 90_000
  const now = new Date().toISOString()
  // As media published it before users had ids.
  await broker.publish(
    { ...mediaReady, schema: MediaEventV1 },
    {
      version: 1,
      owner,
      media: {
        id: mediaId,
        filename: 'run.mp4',
        size: 10,
        status: 'ready',
        createdAt: new Date(uploaded).toISOString(),
        updatedAt: now,
      },
    },
  )
  await eventually(() => catcher.mails.length === 1, 'the email', 30_000)
  const [mail] = catcher.mails
  assert.deepEqual(mail!.envelope, { from: 'noreply@example.test', to: [`${owner}@example.test`] })
  assert.equal(mail!.user, 'convoy')
  assert.equal(mail!.headers['message-id'], `<media-${mediaId}-ready@convoy>`)

  const listed = await eventually(async () => {
    const response = await get('/notifications', owner)
    return response.ok ? ((await response.json()) as Notification[]) : undefined
  }, 'the notification listed')
  assert.deepEqual(
    listed.map((n) => [n.mediaId, n.title]),
    [[mediaId, 'Your MP3 of run.mp4 is ready']],
  )
  await eventually(async () => {
    const emails = (await (await get('/notifications/emails', owner)).json()) as Email[]
    return emails.length === 1 && emails[0]!.sentAt !== undefined
  }, 'the email listed as sent')
  assert.equal((await get('/notifications')).status, 401)
  assert.deepEqual(await (await get('/notifications', 'someone-else')).json(), [])

  const metrics = await (await fetch(`${opsUrl}/metrics`)).text()
  assert.match(metrics, /emails_sent_total\{outcome="sent",service="notification"\} 1/)
  assert.match(metrics, /emails_sent_total\{outcome="failed",service="notification"\} 1/)
  assert.match(metrics, /notifications_total\{kind="media\.ready",service="notification"\} 1/)
  assert.match(metrics, /mail_transport_up\{service="notification"\} 1/)
  // The owner waited from the upload to the email: counted once, between 90 s and now.
  const latency = (series: string, le?: string) => {
    const line = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith(`notification_job_email_latency_seconds_${series}{`) &&
          l.includes('kind="media.ready"') &&
          (!le || l.includes(`le="${le}"`)),
      )
    return Number(line?.split(' ').pop())
  }
  assert.equal(latency('count'), 1)
  assert.ok(latency('sum') >= 90 && latency('sum') <= (Date.now() - uploaded) / 1000, String(latency('sum')))
  assert.equal(latency('bucket', '60'), 0, 'not within a minute of the upload')
})

test('stops cleanly on SIGTERM; nothing it logged holds the SMTP password', async () => {
  service.kill('SIGTERM')
  const [code] = (await once(service, 'exit')) as [number | null]
  assert.equal(code, 0)
  const lines = logs()
  assert.ok(
    lines.every((line) => line.service === 'notification'),
    'every line is the service log',
  )
  assert.ok(lines.some((line) => line.msg === 'mail transport failed; checking it until it answers'))
  assert.ok(lines.some((line) => line.msg === 'email sent'))
  const text = output.join('\n')
  for (const secret of [
    PASSWORD,
    Buffer.from(PASSWORD).toString('base64'),
    Buffer.from(`\0convoy\0${PASSWORD}`).toString('base64'),
  ])
    assert.ok(!text.includes(secret), 'the password, plain or base64, is nowhere in the log')
})
