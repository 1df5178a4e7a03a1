import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Registry } from 'prom-client'
import { Compile } from 'typebox/compile'
import { positionReported, PositionReport } from '@convoy/contracts'
import { connectBroker } from '@convoy/platform/messaging'
import { eventually, testLogger, uniqueName } from '@convoy/platform/testing'
import { loadTracks } from '@convoy/tracks'
import { createFleet } from './simulated-fleet.ts'
import { startSimulation } from './simulation.ts'

test('every vehicle reports valid positions, in time order, moving along its track', async () => {
  const broker = connectBroker({ url: `embedded://${uniqueName('sim')}`, log: testLogger() })
  const reports: PositionReport[] = []
  const valid = Compile(PositionReport)
  const subscription = broker.consume({
    queue: 'test.positions',
    topics: [positionReported],
    prefetch: 1000,
    handler: async ({ body }) => void reports.push(body),
  })
  const fleet = createFleet(await loadTracks(), 3, 7)
  const simulation = startSimulation({
    fleet,
    broker,
    log: testLogger(),
    metrics: new Registry(),
    intervalMs: 100,
    speedup: 10,
    maxInFlight: 100,
  })
  try {
    const names = fleet.map((v) => v.name)
    await eventually(
      () => names.every((name) => reports.filter((r) => r.vehicle === name).length >= 3),
      'three reports per vehicle',
    )
    for (const report of reports) assert.ok(valid.Check(report), JSON.stringify(report))
    const truck = reports.filter((r) => r.vehicle === 'City Truck')
    assert.ok(
      truck.some((r) => r.lat !== truck[0]!.lat || r.lng !== truck[0]!.lng),
      'it moves',
    )
    const times = truck.map((r) => Date.parse(r.timestamp))
    assert.deepEqual(
      times,
      times.toSorted((a, b) => a - b),
      'timestamps advance',
    )
  } finally {
    await simulation.close()
    await subscription.close()
  }
})
