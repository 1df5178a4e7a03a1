/**
 * fleet-events in the stack topology: a dispatcher draws a geofence through the gateway round
 * where a simulated vehicle drives, and the vehicle's entry comes back from `GET /api/events` and
 * out on the broker's `fleet-events` exchange, with the same id.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { fleetEvent, type FleetEvent, type Geofence, type Vehicle } from '@convoy/contracts'
import { connectBroker, type Broker, type Subscription } from '@convoy/platform/messaging'
import { eventually, testLogger } from '@convoy/platform/testing'
import { login, startTestStack, type TestStack } from '@convoy/system/testing'

describe('geofences and fleet events in the stack topology', () => {
  let system: TestStack
  let broker: Broker
  let listener: Subscription
  const published: FleetEvent[] = []
  let admin: string

  before(async () => {
    // One vehicle of the simulator drives its recorded track, reporting every second.
    system = await startTestStack({ serviceEnv: { 'position-simulator': { VEHICLES: '1' } } })
    broker = connectBroker({ url: system.amqpUrl, log: testLogger() })
    listener = broker.consume({
      queue: 'test.fleet-events',
      topics: [fleetEvent],
      handler: async ({ body }) => void published.push(body),
    })
    await eventually(() => listener.isReady(), 'a queue bound to fleet.event')
    admin = await login(system.url)
  })
  after(async () => {
    await listener?.close()
    await broker?.close()
    await system?.close()
  })

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${system.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as T }
  }

  test('a geofence drawn round a simulated vehicle brings its geofence.entered to GET /api/events and the broker', async () => {
    const vehicle = await eventually(
      async () => (await api<Vehicle[]>('GET', '/vehicles')).body[0],
      'the simulated vehicle',
    )
    // 5 km round where it is: its next positions are inside.
    const created = await api<Geofence>('POST', '/geofences', {
      name: 'Round the van',
      shape: { type: 'circle', center: { lat: vehicle.lat, lng: vehicle.lng }, radiusMetres: 5000 },
    })
    assert.equal(created.status, 201)
    assert.equal(created.body.createdBy, 'admin')
    assert.deepEqual((await api<Geofence[]>('GET', '/geofences')).body, [created.body])

    const [entered] = await eventually(
      async () => {
        const { status, body } = await api<FleetEvent[]>(
          'GET',
          `/events?kind=geofence.entered&geofence=${created.body.id}`,
        )
        assert.equal(status, 200)
        return body.length > 0 ? body : undefined
      },
      'the vehicle’s entry in GET /api/events',
      30_000,
    )
    assert.equal(entered!.vehicleName, vehicle.name)
    assert.deepEqual(entered!.geofence, { id: created.body.id, name: 'Round the van' })
    assert.ok(Date.parse(entered!.time) >= Date.parse(vehicle.timestamp))

    await eventually(
      () => published.some((event) => event.id === entered!.id),
      'the same event on the broker',
    )
    assert.deepEqual(
      published.find((event) => event.id === entered!.id),
      entered,
    )
  })

  test('the rules through the gateway: every role reads them, an admin sets them, a bad document is a 400', async () => {
    const rules = {
      overspeed: { limitKmh: 130, forSeconds: 20 },
      stopped: null,
      noSignal: { forMinutes: 15 },
    }
    assert.equal((await api('PUT', '/fleet-rules', rules)).status, 200)
    assert.deepEqual((await api('GET', '/fleet-rules')).body, rules)
    const bad = await api<{ status: number; detail: string }>('PUT', '/fleet-rules', {
      ...rules,
      stopped: { forMinutes: 0 },
    })
    assert.equal(bad.status, 400)
    assert.match(bad.body.detail, /stopped\/forMinutes must be >= 1/)
  })
})
