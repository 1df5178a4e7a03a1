import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import { eventually, freePorts, testLogger } from '@convoy/platform/testing'
import { parseMail, selfSignedCertificate, startMailCatcher } from '@convoy/platform/testing'
import { outboxMailer, smtpMailer, type Mailer, type OutgoingEmail } from './mailer.ts'

const FROM = 'Convoy <convoy@example.com>'
const email = (overrides: Partial<OutgoingEmail> = {}): OutgoingEmail => {
  const id = randomUUID()
  return {
    id,
    to: 'alice@example.com',
    subject: 'Your MP3 of Fahrt über die Brücke.mp4 is ready',
    text: 'Your video Fahrt über die Brücke.mp4 has been converted to MP3.\nhttps://convoy.example.com/#/uploads',
    messageId: `<media-${id}-ready@convoy>`,
    ...overrides,
  }
}
const plain = { host: '127.0.0.1', tls: 'none', user: '', password: '', timeoutMs: 2000 } as const
const fastChecks = { min: 20, max: 100 }

describe('SMTP mailer', () => {
  const open: Array<{ close(): Promise<void> }> = []
  const mailer = (...args: Parameters<typeof smtpMailer>): Mailer => {
    const made = smtpMailer(...args)
    open.unshift(made) // mailers close before the servers they talk to
    return made
  }
  const catcher = async (options: Parameters<typeof startMailCatcher>[0] = {}) => {
    const started = await startMailCatcher(options)
    open.push(started)
    return started
  }
  after(async () => {
    for (const item of open) await item.close()
  })

  test('sends plain SMTP: envelope, headers and text as given', async () => {
    const server = await catcher()
    const sent = email()
    await mailer({ ...plain, port: server.port }, { from: FROM, log: testLogger() }).send(sent)
    assert.equal(server.mails.length, 1)
    const [mail] = server.mails
    assert.deepEqual(mail!.envelope, { from: 'convoy@example.com', to: ['alice@example.com'] })
    assert.equal(mail!.headers['from'], FROM)
    assert.equal(mail!.headers['to'], 'alice@example.com')
    assert.equal(mail!.headers['subject'], sent.subject)
    assert.equal(mail!.headers['message-id'], sent.messageId)
    assert.equal(mail!.text, sent.text)
    assert.equal(mail!.secure, false)
  })

  test('STARTTLS with a login: encrypted before the password goes', async () => {
    const certificate = await selfSignedCertificate()
    const server = await catcher({
      certificate,
      login: (user, pass) => user === 'convoy' && pass === 's3cret!',
    })
    const smtp = {
      ...plain,
      port: server.port,
      tls: 'starttls',
      user: 'convoy',
      password: 's3cret!',
    } as const
    await mailer({ ...smtp, tlsOptions: { ca: certificate.cert } }, { from: FROM, log: testLogger() }).send(
      email(),
    )
    assert.equal(server.mails.length, 1)
    assert.equal(server.mails[0]!.secure, true)
    assert.equal(server.mails[0]!.user, 'convoy')

    // A certificate nobody vouches for is refused: nothing is sent, not even the login.
    const untrusting = mailer(smtp, { from: FROM, log: testLogger() })
    await assert.rejects(untrusting.send(email()), /certificate/)
    assert.equal(server.logins.length, 1)
  })

  test('starttls is required: a server that does not offer it gets nothing', async () => {
    const server = await catcher({ login: () => true })
    const smtp = { ...plain, port: server.port, tls: 'starttls', user: 'convoy', password: 'pw' } as const
    const strict = mailer(smtp, { from: FROM, log: testLogger(), checkDelayMs: fastChecks })
    await assert.rejects(strict.send(email()), /STARTTLS/)
    assert.deepEqual(server.mails, [])
    assert.deepEqual(server.logins, [], 'the password never went out in the clear')
    assert.equal(await strict.healthy(), false)
  })

  test('a transport that failed is unhealthy until a check answers, with backoff between checks', async () => {
    const [port] = await freePorts(1)
    const metrics = new Registry()
    const down = mailer(
      { ...plain, port: port! },
      { from: FROM, log: testLogger(), metrics, checkDelayMs: fastChecks },
    )
    assert.equal(await down.healthy(), true, 'healthy until something fails')
    await assert.rejects(down.send(email()), /ECONNREFUSED/)
    assert.equal(await down.healthy(), false)
    assert.equal(await down.healthy(), false, 'the next check waits its turn')
    const checks = async () => (await metrics.getSingleMetric('mail_transport_checks_total')!.get()).values
    await eventually(async () => {
      await down.healthy()
      return (await checks()).some((v) => v.labels.outcome === 'down' && v.value >= 3)
    }, 'three failed checks')
    assert.match(await metrics.metrics(), /mail_transport_up 0/)

    const server = await catcher({ port: port! })
    await eventually(() => down.healthy(), 'healthy once the server listens')
    await down.send(email())
    assert.equal(server.mails.length, 1)
    assert.match(await metrics.metrics(), /mail_transport_up 1/)
  })
})

describe('outbox mailer', () => {
  let dir: string
  before(async () => (dir = path.join(await mkdtemp(path.join(tmpdir(), 'convoy-outbox-')), 'outbox')))
  after(() => rm(path.dirname(dir), { recursive: true, force: true }))

  test('writes <id>.eml, whole, once however often it is written', async () => {
    const mailer = outboxMailer(dir, { from: FROM, log: testLogger() })
    const sent = email()
    assert.equal(await mailer.healthy(), true)
    await mailer.send(sent)
    await mailer.send(sent)
    await mailer.send(email({ id: randomUUID() }))
    await mailer.close()
    const files = await readdir(dir)
    assert.equal(files.length, 2, 'no temporary file left behind')
    assert.ok(files.includes(`${sent.id}.eml`))
    const mail = parseMail(await readFile(path.join(dir, `${sent.id}.eml`), 'utf8'))
    assert.equal(mail.headers['subject'], sent.subject)
    assert.equal(mail.headers['to'], sent.to)
    assert.equal(mail.headers['message-id'], sent.messageId)
    assert.equal(mail.text, sent.text)
  })
})
