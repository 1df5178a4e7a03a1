import { access, constants, mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import nodemailer from 'nodemailer'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '@convoy/platform/log'
import { dependencyHealth } from './dependency-health.ts'

/** One email to send: `id` names it (the email's id), `messageId` is its Message-ID header. */
export interface OutgoingEmail {
  id: string
  to: string
  subject: string
  text: string
  messageId: string
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox'
  /** Resolves once the SMTP server (or the outbox) has the email; rejects if it does not. */
  send(email: OutgoingEmail): Promise<void>
  /** True unless a send failed and the transport has not answered a check since. */
  healthy(): Promise<boolean>
  close(): Promise<void>
}

export interface MailerOptions {
  from: string
  log: Logger
  metrics?: Registry
  /** Backoff of the checks after a failed send (default 0.5 s doubling to 15 s). */
  checkDelayMs?: { min: number; max: number }
}

export interface SmtpOptions {
  host: string
  port: number
  /** `starttls` refuses to send unless the server upgrades the connection. */
  tls: 'none' | 'starttls' | 'tls'
  user: string
  password: string
  timeoutMs: number
  /** Extra TLS settings, e.g. `{ ca }` for a server with a private certificate. */
  tlsOptions?: ConnectionOptions
}

// Messages are made only from our own text: no attachment may read a file or fetch a URL.
const CONTENT_ONLY = { disableFileAccess: true, disableUrlAccess: true }

/** Sends through an SMTP server, over a small pool of connections. */
export function smtpMailer(smtp: SmtpOptions, options: MailerOptions): Mailer {
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: 3,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'tls',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.tlsOptions ? { tls: smtp.tlsOptions } : {}),
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    logger: false,
    ...CONTENT_ONLY,
  })
  return withHealth('smtp', options, () => transporter.verify(), {
    send: async (email) => void (await transporter.sendMail(message(email, options.from))),
    close: async () => transporter.close(),
  })
}

/**
 * Writes each email to `dir` as `<id>.eml` (a local outbox, for running without a mail server).
 * Written to a temporary file, flushed, then renamed: a reader never sees half a message, and
 * writing the same email again replaces it.
 */
export function outboxMailer(dir: string, options: MailerOptions): Mailer {
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...CONTENT_ONLY,
  })
  return withHealth(
    'outbox',
    options,
    async () => {
      await mkdir(dir, { recursive: true })
      await access(dir, constants.W_OK)
    },
    {
      async send(email) {
        const info = await transporter.sendMail(message(email, options.from))
        await mkdir(dir, { recursive: true })
        const temporary = path.join(dir, `.${email.id}.eml.tmp`)
        const file = await open(temporary, 'w')
        try {
          await file.writeFile(info.message as Buffer)
          await file.sync()
        } finally {
          await file.close()
        }
        await rename(temporary, path.join(dir, `${email.id}.eml`)).catch(async (error: unknown) => {
          await rm(temporary, { force: true })
          throw error
        })
      },
      close: async () => transporter.close(),
    },
  )
}

const message = (email: OutgoingEmail, from: string) => ({
  from,
  to: email.to,
  subject: email.subject,
  text: email.text,
  messageId: email.messageId,
})

function withHealth(
  kind: Mailer['kind'],
  options: MailerOptions,
  check: () => Promise<unknown>,
  transport: Pick<Mailer, 'send' | 'close'>,
): Mailer {
  const registers = options.metrics ? [options.metrics] : []
  const health = dependencyHealth({
    name: 'mail transport',
    check,
    log: options.log,
    up: new Gauge({
      name: 'mail_transport_up',
      help: 'Whether the mail transport takes mail: 0 from a failed send until a check succeeds',
      registers,
    }),
    checks: new Counter({
      name: 'mail_transport_checks_total',
      help: 'Checks of the mail transport after a failed send, by outcome (up or down)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    minDelayMs: options.checkDelayMs?.min,
    maxDelayMs: options.checkDelayMs?.max,
  })
  return {
    kind,
    async send(email) {
      try {
        await transport.send(email)
      } catch (error) {
        health.failed(error)
        throw error
      }
      health.succeeded()
    },
    healthy: () => health.healthy(),
    close: () => transport.close(),
  }
}
