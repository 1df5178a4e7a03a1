/**
 * For tests: a real SMTP server on loopback that keeps what it receives, and a reader for the
 * simple messages this service sends (one text part; headers possibly RFC 2047 encoded).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { SMTPServer } from 'smtp-server'

export interface ParsedMail {
  /** Header names lower-cased, values unfolded and decoded. */
  headers: Record<string, string>
  text: string
}

export interface ReceivedMail extends ParsedMail {
  envelope: { from: string; to: string[] }
  /** The user the client logged in as, if it did. */
  user?: string
  /** Whether the session was encrypted when the message was sent. */
  secure: boolean
  raw: string
}

export interface MailCatcher {
  port: number
  mails: ReceivedMail[]
  /** Every login tried: user and password, accepted or not. */
  logins: Array<{ user: string; password: string }>
  /**
   * From now on, senders are kept waiting for the answer to `MAIL FROM` (a slow server): their
   * emails stay in flight until `release`. `held` counts them.
   */
  hold(): void
  /** Answers the senders held, and every one after. */
  release(): void
  readonly held: number
  close(): Promise<void>
}

export async function startMailCatcher(
  options: {
    port?: number
    /** Offer STARTTLS with this certificate (else the server speaks plain SMTP only). */
    certificate?: { key: string; cert: string }
    /** Require a login that this accepts (else no login is offered). */
    login?: (user: string, password: string) => boolean
  } = {},
): Promise<MailCatcher> {
  const mails: ReceivedMail[] = []
  const logins: MailCatcher['logins'] = []
  let holding = false
  const held: Array<() => void> = []
  const server = new SMTPServer({
    logger: false,
    closeTimeout: 100,
    ...(options.certificate ? { key: options.certificate.key, cert: options.certificate.cert } : {}),
    authOptional: !options.login,
    disabledCommands: [...(options.certificate ? [] : ['STARTTLS']), ...(options.login ? [] : ['AUTH'])],
    onAuth(auth, _session, callback) {
      const user = auth.username ?? ''
      const password = auth.password ?? ''
      logins.push({ user, password })
      if (options.login?.(user, password)) callback(null, { user })
      else callback(new Error('Authentication failed'))
    },
    onMailFrom(_address, _session, callback) {
      if (holding) held.push(() => callback())
      else callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const { mailFrom, rcptTo } = session.envelope
        mails.push({
          ...parseMail(raw),
          raw,
          envelope: { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((r) => r.address) },
          ...(session.user ? { user: String(session.user) } : {}),
          secure: session.secure,
        })
        callback()
      })
    },
  })
  // A client gone in the middle of a session (killed while its email was held) is no failure here.
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const release = () => {
    holding = false
    for (const answer of held.splice(0)) answer()
  }
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    logins,
    hold: () => void (holding = true),
    release,
    get held() {
      return held.length
    },
    close: () =>
      new Promise((resolve) => {
        release()
        server.close(() => resolve())
      }),
  }
}

/** Headers and the text of a single-part message, as `mailparser` would give them. */
export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim())
  }
  const body = raw.slice(split + 4)
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase()
  const text =
    encoding === 'base64'
      ? Buffer.from(body, 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? quotedPrintable(body)
        : body
  return { headers, text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') }
}

function quotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3)
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(soft.charCodeAt(i))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`); white space between two goes. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, mode: string, data: string) =>
      mode.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : quotedPrintable(data.replace(/_/g, ' ')),
    )
}

/** A self-signed certificate for `localhost` and 127.0.0.1, made with openssl. */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-cert-'))
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ])
    const [key, cert] = await Promise.all(
      ['key.pem', 'cert.pem'].map((file) => readFile(path.join(dir, file), 'utf8')),
    )
    return { key: key!, cert: cert! }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
