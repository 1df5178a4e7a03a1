import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readFrame } from './frames.ts'

const truck = {
  name: 'City Truck',
  lat: 53.38,
  lng: -1.47,
  speedKmh: 31.5,
  heading: 90,
  timestamp: '2024-05-01T12:00:00Z',
}
const media = {
  id: '0b5a1c1e-3f43-4a57-9d0e-6a7f0f3c2b11',
  filename: 'clip.mp4',
  size: 123_456,
  status: 'converting',
  createdAt: '2026-03-01T08:00:00.000Z',
  updatedAt: '2026-03-01T08:00:02.000Z',
}
const notification = {
  id: 'n1',
  kind: 'media.ready',
  title: 'Your MP3 of clip.mp4 is ready',
  body: 'Your video clip.mp4 has been converted to MP3.',
  mediaId: media.id,
  createdAt: '2026-03-01T08:00:05.000Z',
}
const positions = (vehicles: unknown[]) => JSON.stringify({ type: 'positions', vehicles })

test('reads the vehicles of a positions frame', () => {
  assert.deepEqual(readFrame(positions([truck])), { type: 'positions', vehicles: [truck] })
})

test('reads media and notification events', () => {
  assert.deepEqual(readFrame(JSON.stringify({ type: 'media', media })), { type: 'media', media })
  const failed = { ...media, status: 'failed', error: 'no audio track' }
  assert.deepEqual(readFrame(JSON.stringify({ type: 'media', media: failed })), {
    type: 'media',
    media: failed,
  })
  assert.deepEqual(readFrame(JSON.stringify({ type: 'notification', notification })), {
    type: 'notification',
    notification,
  })
  const { mediaId: _, ...general } = notification
  assert.deepEqual(readFrame(JSON.stringify({ type: 'notification', notification: general })), {
    type: 'notification',
    notification: general,
  })
})

test('ignores unknown frame types and malformed messages', () => {
  assert.equal(readFrame(JSON.stringify({ type: 'weather', id: 1 })), null)
  assert.equal(readFrame(JSON.stringify({ type: 'positions' })), null)
  assert.equal(readFrame('{not json'), null)
  assert.equal(readFrame(JSON.stringify(null)), null)
  assert.equal(readFrame(new ArrayBuffer(4)), null)
})

test('drops events that do not match the contract', () => {
  const bad = [
    { type: 'media' },
    { type: 'media', media: { ...media, status: 'lost' } },
    { type: 'media', media: { ...media, size: '12' } },
    { type: 'media', media: { ...media, updatedAt: 'later' } },
    { type: 'media', media: { ...media, error: 42 } },
    { type: 'notification', notification: { ...notification, title: null } },
    { type: 'notification', notification: { ...notification, mediaId: 7 } },
    { type: 'notification', id: 1 },
  ]
  for (const frame of bad) assert.equal(readFrame(JSON.stringify(frame)), null, JSON.stringify(frame))
})

test('drops vehicles that do not match the contract', () => {
  const bad = [
    { ...truck, lat: '53.38' },
    { ...truck, name: '' },
    { ...truck, heading: null },
    { ...truck, timestamp: 'not a time' },
    'City Truck',
  ]
  assert.deepEqual(readFrame(positions([...bad, truck])), { type: 'positions', vehicles: [truck] })
})
