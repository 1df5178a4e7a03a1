import { verifyTokens } from '@convoy/access'
import { loadConfig, type Env } from '@convoy/platform/config'
import { openDatabase } from '@convoy/platform/db'
import { createMetrics } from '@convoy/platform/metrics'
import { runUntilSignal, serve, type RunningService } from '@convoy/platform/lifecycle'
import { createLogger } from '@convoy/platform/log'
import { connectBroker } from '@convoy/platform/messaging'
import { buildApp } from './app.ts'
import { Config } from './config.ts'
import { outboxMailer, smtpMailer } from './mailer.ts'
import { migrations, type Tables } from './migrations.ts'
import { startNotifier } from './notify.ts'
import { alertRecipientsFrom } from './recipients.ts'
import { notificationStore } from './store.ts'

export const SERVICE = 'notification'

export async function start(env: Env): Promise<RunningService & { url: string; opsUrl: string }> {
  const config = loadConfig(Config, env)
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL })
  const metrics = createMetrics(SERVICE)
  const database = await openDatabase<Tables>({ url: config.DATABASE_URL, log, migrations })
  const store = notificationStore(database.db)
  const broker = connectBroker({ url: config.AMQP_URL, log, metrics })
  const tokens = verifyTokens({ config, broker, log, metrics })

  const mailOptions = { from: config.MAIL_FROM, log: log.child({ component: 'mail' }), metrics }
  const mailer = config.OUTBOX_DIR
    ? outboxMailer(config.OUTBOX_DIR, mailOptions)
    : smtpMailer(
        {
          host: config.SMTP_HOST,
          port: config.SMTP_PORT,
          tls: config.SMTP_TLS,
          user: config.SMTP_USER,
          password: config.SMTP_PASSWORD,
          timeoutMs: config.SMTP_TIMEOUT_MS,
        },
        mailOptions,
      )
  log.info(
    config.OUTBOX_DIR
      ? { transport: 'outbox', dir: config.OUTBOX_DIR }
      : { transport: 'smtp', host: config.SMTP_HOST, port: config.SMTP_PORT, tls: config.SMTP_TLS },
    'mail transport',
  )

  const recipients = alertRecipientsFrom({
    url: config.AUTH_ALERT_RECIPIENTS_URL,
    cacheMs: config.ALERT_RECIPIENTS_CACHE_MS,
    log: log.child({ component: 'alert-recipients' }),
    metrics,
  })
  const notifier = startNotifier({
    broker,
    store,
    mailer,
    recipients,
    log,
    metrics,
    content: { publicUrl: config.PUBLIC_URL, mailDomain: config.MAIL_DOMAIN },
    databaseReady: database.ping,
    // A send takes at most a connect, a greeting and a few commands, each within the timeout;
    // the pool may queue it behind a few others first.
    leaseMs: Math.max(30_000, 10 * config.SMTP_TIMEOUT_MS),
  })
  const app = buildApp({
    service: SERVICE,
    log,
    metrics,
    store,
    verifier: tokens.verifier,
  })
  return serve({
    log,
    listen: config,
    api: app,
    metrics,
    readiness: {
      database: database.ping,
      broker: broker.isReady,
      subscription: notifier.isReady,
      tokens: tokens.isReady,
    },
    drain: [
      ['notifier', () => notifier.close()],
      ['tokens', () => tokens.close()],
    ],
    release: [
      ['mailer', () => mailer.close()],
      ['broker', () => broker.close()],
      ['database', () => database.close()],
    ],
  })
}

if (import.meta.main) runUntilSignal(() => start(process.env))
