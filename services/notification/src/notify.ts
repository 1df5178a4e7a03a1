import { setTimeout as sleep } from 'node:timers/promises'
import { Counter, Histogram, type Registry } from 'prom-client'
import {
  FLEET_EVENT_KINDS,
  fleetAlertCreated,
  fleetEvent,
  MAY_RECEIVE_FLEET_ALERTS,
  mediaFailed,
  mediaReady,
  notificationCreated,
} from '@convoy/contracts'
import { isOwnerGone, parseOwner, takeOwnership } from '@convoy/platform/lifecycle'
import type { Logger } from '@convoy/platform/log'
import type { Broker, Subscription } from '@convoy/platform/messaging'
import { secondsSince } from '@convoy/platform/metrics'
import { alertDraft, alertEmails } from './alert-content.ts'
import { draftFor, eventProblem, latest, type ContentSettings } from './content.ts'
import type { Mailer } from './mailer.ts'
import type { RecipientSource } from './recipients.ts'
import type { Claimed, Draft, NotificationStore } from './store.ts'

/** Where notification takes the media jobs that ended. */
export const MEDIA_QUEUE = 'notification.media'
/** Where notification takes the fleet's events. */
export const FLEET_QUEUE = 'notification.fleet-events'

export interface NotifierOptions {
  broker: Broker
  store: NotificationStore
  mailer: Mailer
  /** Whom fleet alerts are emailed to. */
  recipients: RecipientSource
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
 * Consumes `media.ready` and `media.failed` (on `notification.media`) and tells the job's owner,
 * and `fleet.event` (on `notification.fleet-events`) and tells the admins and dispatchers: once per
 * job and kind, and once per event, however often it arrives. Records the notification, pushes it
 * to the live feeds (`notification.created` for an owner, `fleet-alert.created` for the roles),
 * emails each of its recipients (a fleet alert's, as auth names them), and acks only once all is
 * done. While the database, the mail transport or (for a fleet alert) auth's list of recipients
 * is down, messages wait unacknowledged rather than use up their attempts.
 */
export function startNotifier(options: NotifierOptions): Subscription {
  const { broker, store, mailer, log } = options
  const created = new Counter({
    name: 'notifications_total',
    help: "Notifications created, by kind (media.ready, media.failed, or a fleet event's kind)",
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
  const jobEmailLatency = new Histogram({
    name: 'notification_job_email_latency_seconds',
    help: "Seconds from a job's upload to the email about it sent, by kind (media.ready or media.failed)",
    labelNames: ['kind'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [options.metrics],
  })
  // A dispatcher's wait, from the event (the position that showed it) to each email about it taken
  // by the mail transport: fleet-events' batches, the broker, auth and this service included.
  const alertEmailLatency = new Histogram({
    name: 'fleet_alert_email_latency_seconds',
    help: 'Seconds from a fleet event to each email about it sent, by kind',
    labelNames: ['kind'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
    registers: [options.metrics],
  })
  for (const { routingKey: kind } of [mediaReady, mediaFailed]) {
    created.inc({ kind }, 0)
    jobEmailLatency.zero({ kind })
  }
  for (const kind of FLEET_EVENT_KINDS) {
    created.inc({ kind }, 0)
    alertEmailLatency.zero({ kind })
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
    const { id, created: isNew } = await store.record(draft)
    if (isNew) {
      created.inc({ kind: draft.kind })
      log.info({ notificationId: id, mediaId: draft.mediaId, kind: draft.kind }, 'notification created')
    }
    for (let takeOver: string | undefined; ;) {
      const claim = await store.claim(id, holder, options.leaseMs, takeOver)
      if ('heldForMs' in claim) {
        // Held by a process that is gone (killed mid-send): no need to wait for its lease to run out.
        const owner = claim.heldBy === null ? null : parseOwner(claim.heldBy)
        if (owner && isOwnerGone(owner)) {
          log.info(
            { notificationId: id, kind: draft.kind, heldBy: owner },
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
          .release(id, holder)
          .catch((error: unknown) => log.warn({ err: error }, 'notification lease not released'))
      }
      return
    }
  }

  async function complete({ ownerId, notification, pushed, recipientsKnown, unsent }: Claimed, draft: Draft) {
    const id = notification.id
    if (!pushed) {
      // A crash between the publish and the mark pushes it again: with the same message id,
      // the notification's own, so the receiver can tell it is the same one.
      if (ownerId === null)
        await broker.publish(
          fleetAlertCreated,
          { version: 1, roles: [...MAY_RECEIVE_FLEET_ALERTS], notification },
          { messageId: id },
        )
      else await broker.publish(notificationCreated, { version: 2, ownerId, notification }, { messageId: id })
      await store.markPushed(id)
    }
    if (!recipientsKnown) {
      // Asked once per fleet alert, when it is told: whom auth names then gets it, and a
      // redelivery finds them recorded. Auth not answering fails this delivery, which then
      // waits for it (`dependenciesReady`).
      const settled = alertEmails(notification, await options.recipients.current(), options.content)
      if (settled.skipped.length > 0)
        log.warn(
          { notificationId: id, usernames: settled.skipped },
          'fleet alert not emailed to usernames that are no address',
        )
      unsent = await store.settleRecipients(id, settled.emails)
    }
    for (const email of unsent) {
      await store.countAttempt(email.id)
      try {
        await mailer.send(email)
      } catch (error) {
        emails.inc({ outcome: 'failed' })
        throw error
      }
      emails.inc({ outcome: 'sent' })
      ;(ownerId === null ? alertEmailLatency : jobEmailLatency).observe(
        { kind: draft.kind },
        secondsSince(draft.since),
      )
      // The one window left: a crash after the server took the email and before this write
      // sends it again on redelivery. It then carries the same Message-ID, by which the
      // receiving side can drop the copy; no sender can close that window on its own.
      await store.markSent(email.id)
      log.info({ notificationId: id, emailId: email.id, messageId: email.messageId }, 'email sent')
    }
  }

  const retries = {
    prefetch: options.prefetch ?? 8,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
  }
  const media = broker.consume({
    queue: MEDIA_QUEUE,
    // Version 1 (owner by username) is accepted too, as the user of that name's id. Which of
    // the two an event is, the job's status tells (`kindOf`).
    topics: [mediaReady, mediaFailed],
    check: (event) => eventProblem(latest(event), options.content.mailDomain),
    ...retries,
    dependenciesReady: async () => (await options.databaseReady()) && (await mailer.healthy()),
    handler: async ({ body }) => {
      const draft = draftFor(latest(body), options.content)
      await oneAtATime(`${draft.mediaId} ${draft.kind}`, () => notify(draft))
    },
  })
  const fleet = broker.consume({
    queue: FLEET_QUEUE,
    topics: [fleetEvent],
    ...retries,
    dependenciesReady: async () =>
      (await options.databaseReady()) && (await mailer.healthy()) && (await options.recipients.healthy()),
    handler: async ({ body }) => {
      const draft = alertDraft(body, options.content)
      await oneAtATime(body.id, () => notify(draft))
    },
  })

  return {
    isReady: () => media.isReady() && fleet.isReady(),
    async close() {
      closing = true
      await Promise.all([media.close(), fleet.close()])
      ownership.end()
    },
  }
}
