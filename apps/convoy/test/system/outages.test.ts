/**
 * The tracker rides out database and broker outages: it reports not-ready meanwhile,
 * reconnects by itself, and stores every report the broker acknowledged.
 * Outages are made with TCP proxies in front of the real servers, which other runs share.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { positionReported } from '@convoy/contracts'
import { connectBroker, deadLetterQueue, type Broker } from '@convoy/platform/messaging'
import {
  createTestDatabase,
  createTestVhost,
  drainQueue,
  queueCounts,
  eventually,
  TEST_AMQP_HOST,
  tcpProxy,
  testLogger,
  type TcpProxy,
} from '@convoy/platform/testing'
import { testIssuer } from '@convoy/access/testing'
import { start } from '@convoy/position-tracker'

const QUEUE = 'position-tracker.positions'
const START = Date.parse('2026-04-01T10:00:00.000Z')
const report = (i: number) => ({
  vehicle: 'Outage Van',
  lat: 53.38 + i * 1e-4,
  lng: -1.47,
  timestamp: new Date(START + i * 1000).toISOString(),
})

describe('position-tracker through outages', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let vhost: Awaited<ReturnType<typeof createTestVhost>>
  let dbProxy: TcpProxy
  let amqpProxy: TcpProxy
  let tracker: Awaited<ReturnType<typeof start>>
  let broker: Broker
  let published = 0
  let jwks: { env: Record<string, string>; close(): Promise<void> }
  let token: string

  before(async () => {
    ;[database, vhost] = await Promise.all([createTestDatabase(), createTestVhost()])
    const db = new URL(database.url)
    const amqp = new URL(vhost.url)
    dbProxy = await tcpProxy({ host: db.hostname, port: Number(db.port || 5432) })
    const [amqpHost, amqpPort] = TEST_AMQP_HOST.split(':')
    amqpProxy = await tcpProxy({ host: amqpHost!, port: Number(amqpPort) })
    const issuer = await testIssuer()
    jwks = await issuer.serveAuth()
    token = await issuer.token()
    db.port = String(dbProxy.port)
    amqp.port = String(amqpProxy.port)
    tracker = await start({
      PORT: '0',
      HOST: '127.0.0.1',
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_URL: db.toString(),
      AMQP_URL: amqp.toString(),
      ...jwks.env,
    })
    broker = connectBroker({ url: vhost.url, log: testLogger() })
    await eventually(() => ready(), 'tracker ready')
  })

  after(async () => {
    await broker?.close()
    await tracker?.close()
    await Promise.all([dbProxy?.close(), amqpProxy?.close(), jwks?.close()])
    await Promise.all([database?.drop(), vhost?.drop()])
  })

  const ready = async () => (await fetch(`${tracker.opsUrl}/readyz`)).status === 200
  // Counted in the database itself, past the proxy the outages cut.
  const stored = async () => {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ count: string }>(
        "SELECT count(*) FROM positions WHERE vehicle_name = 'Outage Van'",
      )
      return Number(rows[0]!.count)
    } catch (error) {
      // Not migrated yet (undefined table); any other error is the test's own and must show.
      if ((error as { code?: string }).code === '42P01') return 0
      throw error
    } finally {
      await client.end()
    }
  }
  const publish = async (count: number) => {
    for (let i = 0; i < count; i++) await broker.publish(positionReported, report(published++))
  }

  test('stores reports as usual', async () => {
    await publish(50)
    await eventually(async () => (await stored()) === 50, '50 stored')
  })

  test('database down: not ready, holds the reports, stores them all once it is back', async () => {
    dbProxy.cut()
    await eventually(async () => !(await ready()), 'not ready while the database is down')
    await publish(50) // acknowledged by the broker while the database is down
    await eventually(
      async () => (await queueCounts(vhost.url, QUEUE)).unacked === 50,
      'the 50 held, unacknowledged',
    )
    const history = await fetch(`${tracker.url}/vehicles/Outage%20Van/history`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(history.status, 503, 'reads answer 503 while the database is down')
    assert.match(history.headers.get('content-type') ?? '', /application\/problem\+json/)
    dbProxy.restore()
    await eventually(async () => (await stored()) === 100, 'all 100 stored after the outage', 30_000)
    await eventually(() => ready(), 'ready again')
    assert.deepEqual(await drainQueue(vhost.url, deadLetterQueue(QUEUE)), [], 'nothing dead-lettered')
  })

  test('broker down: not ready, reconnects by itself and consumes again', async () => {
    amqpProxy.cut()
    await eventually(async () => !(await ready()), 'not ready while the broker is unreachable')
    await publish(50) // queued in RabbitMQ while the tracker cannot reach it
    await eventually(
      async () => (await queueCounts(vhost.url, QUEUE)).ready === 50,
      'the 50 waiting in the queue',
    )
    amqpProxy.restore()
    await eventually(() => ready(), 'ready again after reconnecting', 30_000)
    await eventually(async () => (await stored()) === 150, 'all 150 stored', 30_000)
  })
})
