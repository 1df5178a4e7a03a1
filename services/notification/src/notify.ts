import { setTimeout as sleep } from 'node:timers/promises'
import { Counter, Histogram, type Registry } from 'prom-client'
import { mediaFailed, mediaReady, notificationCreated, type NotificationCreated } from '@convoy/contracts'
import { isOwnerGone, parseOwner, takeOwnership } from '@convoy/platform/lifecycle'
import type { Logger } from '@convoy/platform/log'
import type { Broker, Subscription } from '@convoy/platform/messaging'
import { secondsSince } from '@convoy/platform/metrics'
import { draftFor, eventProblem, latest, type ContentSettings, type Draft } from './content.ts'
import type { Mailer } from './mailer.ts'
import type { Claimed, NotificationStore } from './store.ts'

export const NOTIFICATION_QUEUE = 'notification.media'

export interface NotifierOptions {
  broker: Broker
  store: NotificationStore
  mailer: Mailer
  log: Logger
  metrics: Registry
  content: ContentSettings
  databaseReady: () => Promise<boolean>
  /**
   * How long one replica may take to push and mail a notification before another may take over
   * (it crashed): longer than a send can take, pool queueing and timeouts included.
   */
  leaseMs: number
  prefetch?: number
  maxAttempts?: number
  retryDelayMs?: number
}

/**
 * Consumes `media.ready` and `media.failed` and tells the job's owner, once per job and kind
 * however often the event arrives: records the notification, pushes `notification.created`,
 * emails the owner, and acks only once all three are done. While the database or the mail
 * transport is down, events wait unacknowledged rather than use up their attempts.
 */
export function startNotifier(options: NotifierOptions): Subscription {
  const { broker, store, mailer, log } = options
  const created = new Counter({
    name: 'notifications_total',
    help: 'Notifications created, by kind (media.ready or media.failed)',
    labelNames: ['kind'] as const,
    registers: [options.metrics],
  })
  const emails = new Counter({
    name: 'emails_sent_total',
    help: 'Attempts to send an email, by outcome (sent or failed)',
    labelNames: ['outcome'] as const,
    registers: [options.metrics],
  })
  // The owner's whole wait, from the upload accepted by media to the email taken by the mail
  // transport: conversion, both brokers' queues and this service's retries included.
  const emailLatency = new Histogram({
    name: 'notification_job_email_latency_seconds',
    help: "Seconds from a job's upload to the email about it sent, by kind (media.ready or media.failed)",
    labelNames: ['kind'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [options.metrics],
  })
  for (const { routingKey: kind } of [mediaReady, mediaFailed]) {
    created.inc({ kind }, 0)
    emailLatency.zero({ kind })
  }
  for (const outcome of ['sent', 'failed']) emails.inc({ outcome }, 0)

  // This process's name on the leases it takes: another replica leaves its notifications alone,
  // unless it can tell this process is gone (killed on the same host, or a restarted container).
  const ownership = takeOwnership()
  const holder = JSON.stringify(ownership.owner)
  let closing = false

  // Deliveries of the same notification in this process take turns; other replicas are kept
  // out by the lease in the database.
  const inFlight = new Map<string, Promise<void>>()
  async function oneAtATime(key: string, work: () => Promise<void>) {
    for (let running = inFlight.get(key); running; running = inFlight.get(key)) await running.catch(() => {})
    const done = work()
    inFlight.set(key, done)
    try {
      await done
    } finally {
      inFlight.delete(key)
    }
  }

  async function notify(draft: Draft) {
    if (await store.record(draft)) {
      created.inc({ kind: draft.kind })
      log.info({ mediaId: draft.mediaId, kind: draft.kind }, 'notification created')
    }
    for (let takeOver: string | undefined; ;) {
      const claim = await store.claim(draft, holder, options.leaseMs, takeOver)
      if ('heldForMs' in claim) {
        // Held by a process that is gone (killed mid-send): no need to wait for its lease to run out.
        const owner = claim.heldBy === null ? null : parseOwner(claim.heldBy)
        if (owner && isOwnerGone(owner)) {
          log.info(
            { mediaId: draft.mediaId, kind: draft.kind, heldBy: owner },
            'lease of a process gone taken over',
          )
          takeOver = claim.heldBy!
          continue
        }
        // Another replica is on it: wait for it to finish (or for its lease to run out).
        if (closing) throw new Error('stopping while another replica holds the notification')
        await sleep(Math.min(Math.max(claim.heldForMs, 50), 1000))
        continue
      }
      try {
        await complete(claim, draft)
      } finally {
        await store
          .release(claim.notification.id, holder)
          .catch((error: unknown) => log.warn({ err: error }, 'notification lease not released'))
      }
      return
    }
  }

  async function complete({ ownerId, notification, pushed, email }: Claimed, draft: Draft) {
    const id = notification.id
    if (!pushed) {
      // A crash between the publish and the mark pushes it again: with the same message id,
      // the notification's own, so the receiver can tell it is the same one.
      const message: NotificationCreated = { version: 2, ownerId, notification }
      await broker.publish(notificationCreated, message, { messageId: id })
      await store.markPushed(id)
    }
    if (!email.sent) {
      await store.countAttempt(id)
      try {
        await mailer.send({
          id,
          to: email.recipient,
          subject: email.subject,
          text: email.text,
          messageId: email.messageId,
        })
      } catch (error) {
        emails.inc({ outcome: 'failed' })
        throw error
      }
      emails.inc({ outcome: 'sent' })
      emailLatency.observe({ kind: draft.kind }, secondsSince(draft.uploadedAt))
      // The one window left: a crash after the server took the email and before this write
      // sends it again on redelivery. It then carries the same Message-ID, by which the
      // receiving side can drop the copy; no sender can close that window on its own.
      await store.markSent(id)
      log.info({ notificationId: id, messageId: email.messageId }, 'email sent')
    }
  }

  const subscription = broker.consume({
    queue: NOTIFICATION_QUEUE,
    // Version 1 (owner by username) is accepted too, as the user of that name's id. Which of
    // the two an event is, the job's status tells (`kindOf`).
    topics: [mediaReady, mediaFailed],
    check: (event) => eventProblem(latest(event), options.content.mailDomain),
    prefetch: options.prefetch ?? 8,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    dependenciesReady: async () => (await options.databaseReady()) && (await mailer.healthy()),
    handler: async ({ body }) => {
      const draft = draftFor(latest(body), options.content)
      await oneAtATime(`${draft.mediaId} ${draft.kind}`, () => notify(draft))
    },
  })

  return {
    isReady: subscription.isReady,
    async close() {
      closing = true
      await subscription.close()
      ownership.end()
    },
  }
}
