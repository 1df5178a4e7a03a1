import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseFrame } from './frames.ts'

const truck = {
  name: 'City Truck',
  lat: 53.38,
  lng: -1.47,
  speedKmh: 31.5,
  heading: 90,
  timestamp: '2024-05-01T12:00:00Z',
}

test('reads the vehicles of a positions frame', () => {
  assert.deepEqual(parseFrame(JSON.stringify({ type: 'positions', vehicles: [truck] })), [truck])
})

test('ignores unknown frame types and malformed messages', () => {
  assert.equal(parseFrame(JSON.stringify({ type: 'notification', id: 1 })), null)
  assert.equal(parseFrame(JSON.stringify({ type: 'positions' })), null)
  assert.equal(parseFrame('{not json'), null)
  assert.equal(parseFrame(JSON.stringify(null)), null)
  assert.equal(parseFrame(new ArrayBuffer(4)), null)
})

test('drops vehicles that do not match the contract', () => {
  const bad = [
    { ...truck, lat: '53.38' },
    { ...truck, name: '' },
    { ...truck, heading: null },
    { ...truck, timestamp: 'not a time' },
    'City Truck',
  ]
  assert.deepEqual(parseFrame(JSON.stringify({ type: 'positions', vehicles: [...bad, truck] })), [truck])
})
