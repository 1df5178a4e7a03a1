import { VerifierConfig } from '@convoy/access'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

export const Config = Type.Object({
  PORT: port(8086),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9086),
  LOG_LEVEL: logLevel(),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/notification' }),
  AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  ...VerifierConfig,
  /** Auth's list of whom to email fleet alerts (never forwarded by the gateway). */
  AUTH_ALERT_RECIPIENTS_URL: Type.String({ default: 'http://127.0.0.1:8083/internal/alert-recipients' }),
  /** How long one read of that list serves the fleet alerts that follow it (0: each reads it). */
  ALERT_RECIPIENTS_CACHE_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 5000 }),
  /** Where users open the app: emails link to its uploads page. */
  PUBLIC_URL: Type.String({ default: 'http://localhost:8080' }),
  MAIL_FROM: Type.String({ default: 'Convoy <convoy@localhost>' }),
  /** A username without `@` is mailed at `<username>@<MAIL_DOMAIN>`; one with `@` is the address. */
  MAIL_DOMAIN: Type.String({ default: 'localhost', pattern: '^[A-Za-z0-9.-]+$' }),
  /** When set, emails are written here as `<email id>.eml` instead of sent by SMTP. */
  OUTBOX_DIR: Type.String({ default: '' }),
  SMTP_HOST: Type.String({ default: '127.0.0.1' }),
  SMTP_PORT: port(1025),
  /** `none`: plain SMTP; `starttls`: upgrade required, never sent in the clear; `tls`: TLS from the start. */
  SMTP_TLS: Type.Enum(['none', 'starttls', 'tls'], { default: 'none' }),
  /** Login to the SMTP server, when it wants one. */
  SMTP_USER: Type.String({ default: '' }),
  SMTP_PASSWORD: Type.String({ default: '' }),
  /** Longest wait for the SMTP server to connect, greet or answer a command. */
  SMTP_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000 }),
})
export type Config = Static<typeof Config>
