import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CLUSTER_MAX_ZOOM, VehicleClusters, type Box } from './vehicle-clusters.ts'

/** `count` vehicles in a row, 10 m apart, eastwards from `lng` on Sheffield's latitude. */
const row = (prefix: string, count: number, lng: number) =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix} ${i}`, lat: 53.38, lng: lng + i * 0.00015 }))
const ENGLAND: Box = [-6, 50, 2, 56]
const total = (counts: number[]) => counts.reduce((sum, count) => sum + count, 0)

test('vehicles close together are a cluster that counts them; one far away stands alone', () => {
  const clusters = new VehicleClusters()
  clusters.load([...row('Load', 1200, -1.47), { name: 'Far', lat: 51.5, lng: -0.12 }])
  const view = clusters.at(ENGLAND, 8)
  assert.deepEqual(view.alone, ['Far'])
  assert.equal(view.clusters.length, 1)
  const [cluster] = view.clusters
  assert.equal(cluster!.count, 1200)
  assert.equal(cluster!.label, '1.2k')
  assert.ok(
    Math.abs(cluster!.lat - 53.38) < 0.001 && Math.abs(cluster!.lng - (-1.47 + 0.09)) < 0.01,
    'at their centre',
  )
})

test('closer in, clusters fall apart; past the closest zoom with clusters, every vehicle stands alone', () => {
  const clusters = new VehicleClusters()
  clusters.load(row('Load', 300, -1.47))
  const counts = (zoom: number) => clusters.at(ENGLAND, zoom).clusters.map((cluster) => cluster.count)
  assert.equal(counts(8).length, 1)
  assert.ok(counts(CLUSTER_MAX_ZOOM).length > 1, 'more, smaller clusters')
  // Every vehicle is counted once, in a cluster or alone.
  for (const zoom of [8, 12, CLUSTER_MAX_ZOOM]) {
    assert.equal(total(counts(zoom)) + clusters.at(ENGLAND, zoom).alone.length, 300, `zoom ${zoom}`)
  }
  const closer = clusters.at(ENGLAND, CLUSTER_MAX_ZOOM + 1)
  assert.deepEqual(closer.clusters, [])
  assert.equal(closer.alone.length, 300)
})

test('a cluster says the zoom it falls apart at, even after the vehicles are clustered again', () => {
  const clusters = new VehicleClusters()
  clusters.load(row('Load', 300, -1.47))
  const [cluster] = clusters.at(ENGLAND, 8).clusters
  clusters.load(row('Other', 5, 0))
  const zoom = cluster!.expansionZoom()
  assert.ok(zoom > 8 && zoom <= CLUSTER_MAX_ZOOM + 1, `${zoom}`)
  // At that zoom, the cluster is more than one thing.
  clusters.load(row('Load', 300, -1.47))
  const there = clusters.at(ENGLAND, zoom)
  assert.ok(there.clusters.length + there.alone.length > 1)
})

test('only what is in the box, at a whole zoom; nothing before the first load', () => {
  const clusters = new VehicleClusters()
  assert.deepEqual(clusters.at(ENGLAND, 8), { clusters: [], alone: [] })
  clusters.load([...row('Sheffield', 3, -1.47), { name: 'London', lat: 51.5, lng: -0.12 }])
  assert.deepEqual(clusters.at([-1, 51, 0, 52], 16.4).alone, ['London'])
  assert.deepEqual(clusters.at([-1, 51, 0, 52], 16.4).clusters, [])
  clusters.load([])
  assert.deepEqual(clusters.at(ENGLAND, 8), { clusters: [], alone: [] })
})
