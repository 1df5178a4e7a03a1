/**
 * What notification's tests of its consuming side share: the service's parts as they run, on a
 * database and a broker of either kind, with an SMTP server or an outbox, a stand-in for auth's
 * list of alert recipients, a listener for what the service pushes (the gateway's part), and the
 * HTTP app over the same database.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type net from 'node:net'
import { Registry } from 'prom-client'
import { legacyUserId } from '@convoy/access'
import { testIssuer } from '@convoy/access/testing'
import {
  fleetAlertCreated,
  fleetEvent,
  mediaFailed,
  mediaReady,
  notificationCreated,
  type AlertRecipients,
  type FleetAlertCreated,
  type FleetEvent,
  type MediaEvent,
  type NotificationCreated,
  type Role,
} from '@convoy/contracts'
import { openDatabase } from '@convoy/platform/db'
import { createLogger } from '@convoy/platform/log'
import { connectBroker, untypedTopic } from '@convoy/platform/messaging'
import {
  createTestDatabase,
  createTestVhost,
  eventually,
  freePorts,
  uniqueName,
} from '@convoy/platform/testing'
import { buildApp } from './app.ts'
import { outboxMailer, smtpMailer } from './mailer.ts'
import { migrations, type Tables } from './migrations.ts'
import { FLEET_QUEUE, MEDIA_QUEUE, startNotifier } from './notify.ts'
import { alertRecipientsFrom } from './recipients.ts'
import { notificationStore } from './store.ts'

type Resource = { url: string; drop(): Promise<void> }
export interface Target {
  name: string
  database(): Promise<Resource>
  broker(): Promise<Resource>
}
export const targets: Target[] = [
  {
    name: 'PGlite and the embedded broker',
    // In memory: the same engine as on disk (app.test.ts covers both), without initdb's seconds.
    database: async () => ({ url: 'pglite:memory', drop: async () => {} }),
    broker: async () => ({ url: `embedded://${uniqueName('notification')}`, drop: async () => {} }),
  },
  { name: 'PostgreSQL and RabbitMQ', database: createTestDatabase, broker: createTestVhost },
]

export const PUBLIC_URL = 'https://convoy.example.test'
export const FROM = 'Convoy <convoy@example.test>'
export const MAIL_DOMAIN = 'example.test'
export const CONTENT = { publicUrl: PUBLIC_URL, mailDomain: MAIL_DOMAIN }

export function mediaEvent(
  owner: string,
  status: 'ready' | 'failed',
  media: Partial<MediaEvent['media']> = {},
) {
  return {
    version: 2,
    ownerId: legacyUserId(owner),
    ownerName: owner,
    media: {
      id: randomUUID(),
      filename: 'Fahrt über die Brücke.mp4',
      size: 1234,
      status,
      createdAt: '2026-01-01T12:00:00.000Z',
      updatedAt: '2026-01-01T12:01:00.000Z',
      ...(status === 'failed' ? { error: 'the file has no audio track' } : {}),
      ...media,
    },
  } satisfies MediaEvent
}

/** `vehicle` entered (or left) the geofence `geofence`, as fleet-events publishes it. */
export function geofenceEvent(
  vehicle: string,
  geofence: string,
  kind: 'geofence.entered' | 'geofence.exited' = 'geofence.entered',
): FleetEvent {
  return {
    version: 1,
    id: randomUUID(),
    kind,
    vehicleName: vehicle,
    time: '2026-03-01T08:00:20.000Z',
    lat: 53.38,
    lng: -1.47,
    geofence: { id: randomUUID(), name: geofence },
    details: {},
  }
}

/** A user who receives fleet alerts by email, as auth lists them: id as the test issuer gives it. */
export const recipient = (username: string, role: Role = 'dispatcher') => ({
  userId: legacyUserId(username),
  username,
  role,
})

/**
 * A stand-in for auth's `GET /internal/alert-recipients` (the contract `AlertRecipients`), on a
 * loopback port of its own: `recipients` is what it answers; it answers only while listening, so a
 * test can start it late, as auth coming back (the system tests run the real auth).
 */
export async function authStandIn(options: { listening?: boolean } = {}) {
  const [port] = (await freePorts(1)) as [number]
  let server: http.Server | undefined
  const stand = {
    url: `http://127.0.0.1:${port}/internal/alert-recipients`,
    recipients: [] as AlertRecipients,
    /** Reads it answered. */
    reads: 0,
    async listen() {
      server = http.createServer((_request, response) => {
        stand.reads++
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stand.recipients))
      })
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
      assert.equal((server.address() as net.AddressInfo).port, port)
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  if (options.listening ?? true) await stand.listen()
  return stand
}
export type AuthStandIn = Awaited<ReturnType<typeof authStandIn>>

/** A push as the gateway receives it, with its message id. */
type Push = { body: NotificationCreated | FleetAlertCreated; messageId: string }

/**
 * The notification service's consuming side as it runs: `replicas` notifiers on one queue and one
 * database, mailing through SMTP on `smtpPort` (or to an outbox), asking `auth` whom to email fleet
 * alerts, a listener for what they push (the gateway's part), and the HTTP app over the same
 * database. What they log is kept in `logs`.
 */
export async function startSystem(
  target: Target,
  options: {
    replicas: number
    smtpPort?: number
    outboxDir?: string
    maxAttempts?: number
    auth?: AuthStandIn
  },
) {
  const [databaseEnv, brokerEnv] = await Promise.all([target.database(), target.broker()])
  const logs: Array<Record<string, unknown> & { msg: string }> = []
  const log = createLogger({
    service: 'notification',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) },
  })
  const database = await openDatabase<Tables>({ url: databaseEnv.url, log, migrations })
  const store = notificationStore(database.db)
  const auth = options.auth ?? (await authStandIn())

  const listener = connectBroker({ url: brokerEnv.url, log })
  const pushes: Push[] = []
  const listening = listener.consume({
    queue: 'test.notifications',
    // The newest versions alone: what notification publishes.
    topics: [{ ...notificationCreated, accepts: notificationCreated.schema }, fleetAlertCreated],
    handler: async ({ body, messageId }) => void pushes.push({ body, messageId }),
  })

  const replicas = Array.from({ length: options.replicas }, () => {
    const metrics = new Registry()
    const broker = connectBroker({ url: brokerEnv.url, log, metrics })
    const checkDelayMs = { min: 20, max: 200 }
    const mailOptions = { from: FROM, log, metrics, checkDelayMs }
    const mailer = options.outboxDir
      ? outboxMailer(options.outboxDir, mailOptions)
      : smtpMailer(
          {
            host: '127.0.0.1',
            port: options.smtpPort!,
            tls: 'none',
            user: '',
            password: '',
            timeoutMs: 2000,
          },
          mailOptions,
        )
    const notifier = startNotifier({
      broker,
      store,
      mailer,
      // Not kept: each alert reads the list as it is then.
      recipients: alertRecipientsFrom({ url: auth.url, cacheMs: 0, log, metrics, checkDelayMs }),
      log,
      metrics,
      content: CONTENT,
      databaseReady: database.ping,
      leaseMs: 30_000,
      // Few attempts, quickly retried: a message whose attempts were used up would be dead at once.
      retryDelayMs: 20,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    })
    return { metrics, broker, mailer, notifier }
  })
  const publisher = connectBroker({ url: brokerEnv.url, log })
  await eventually(
    () => listening.isReady() && replicas.every((r) => r.notifier.isReady()),
    'subscriptions ready',
  )

  const issuer = await testIssuer()
  const app = buildApp({ service: 'notification', log, store, verifier: issuer.verifier })

  /** The sum over the replicas of a counter's series matching `labels`. */
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    let sum = 0
    for (const { metrics } of replicas) {
      const { values } = (await metrics.getSingleMetric(name)?.get()) ?? { values: [] }
      for (const value of values)
        if (Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted)) sum += value.value
    }
    return sum
  }
  const acked = (queue = MEDIA_QUEUE) => metric('messages_consumed_total', { queue, outcome: 'ack' })
  /** Every push, once the listener has received every push the replicas published. */
  const allPushes = async () => {
    await eventually(
      async () =>
        (await metric('messages_published_total', { exchange: notificationCreated.exchange })) ===
        pushes.length,
      'every push received',
    )
    return pushes
  }

  /** Publishes, and resolves once every message was acknowledged on `queue`. */
  async function deliverTo(queue: string, publish: () => Promise<void>[]) {
    const before = await acked(queue)
    const published = publish()
    await Promise.all(published)
    await eventually(async () => (await acked(queue)) === before + published.length, 'messages acknowledged')
  }

  const system = {
    brokerUrl: brokerEnv.url,
    store,
    database,
    auth,
    logs,
    /** The owner's pushes (`notification.created`). */
    async pushesTo(owner: string) {
      return (await allPushes()).filter(
        (p): p is { body: NotificationCreated; messageId: string } =>
          'ownerId' in p.body && p.body.ownerId === legacyUserId(owner),
      )
    },
    /** The pushes of the fleet alert of event `id` (`fleet-alert.created`). */
    async alertPushes(id: string) {
      return (await allPushes()).filter(
        (p): p is { body: FleetAlertCreated; messageId: string } =>
          'roles' in p.body && p.body.notification.id === id,
      )
    },
    metric,
    acked,
    /** Publishes any body, valid or not, as media.failed if it says so, else as media.ready. */
    publish: (event: unknown, messageId?: string) =>
      publisher.publish(
        untypedTopic((event as MediaEvent).media?.status === 'failed' ? mediaFailed : mediaReady),
        event,
        messageId ? { messageId } : {},
      ),
    /** Publishes any body, valid or not, as fleet-events publishes a fleet event (message id the event's). */
    publishFleetEvent: (event: unknown, messageId = (event as FleetEvent).id ?? randomUUID()) =>
      publisher.publish(untypedTopic(fleetEvent), event, { messageId }),
    /** Publishes media events, and resolves once every one was acknowledged. */
    deliver: (messages: Array<[event: unknown, messageId?: string]>) =>
      deliverTo(MEDIA_QUEUE, () => messages.map(([event, messageId]) => system.publish(event, messageId))),
    /** Publishes fleet events, and resolves once every one was acknowledged. */
    deliverFleetEvents: (messages: Array<[event: FleetEvent, messageId?: string]>) =>
      deliverTo(FLEET_QUEUE, () =>
        messages.map(([event, messageId]) => system.publishFleetEvent(event, messageId)),
      ),
    /** GET `url` of the HTTP app as `username`, of `role`: its 200 answer. */
    get: async <T>(url: string, username: string, role: Role = 'dispatcher') => {
      const token = await issuer.token({ user: username, role })
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
      assert.equal(response.statusCode, 200, response.body)
      return response.json<T>()
    },
    issuer,
    async close() {
      for (const { notifier } of replicas) await notifier.close()
      for (const { mailer, broker } of replicas) await Promise.all([mailer.close(), broker.close()])
      await Promise.all([listening.close(), app.close()])
      await Promise.all([listener.close(), publisher.close()])
      await database.close()
      if (!options.auth) await auth.close()
      await Promise.all([databaseEnv.drop(), brokerEnv.drop()])
    },
  }
  return system
}
export type System = Awaited<ReturnType<typeof startSystem>>
