import assert from 'node:assert/strict'
import { test } from 'node:test'
import { badgeText, mergeNotifications, toneOf, unreadCount } from './notification-list.ts'
import type { Notification } from '../shared/types.ts'

const note = (id: string, second: number, kind = 'media.ready'): Notification => ({
  id,
  kind,
  title: `title ${id}`,
  body: '',
  createdAt: `2026-03-01T08:00:${String(second).padStart(2, '0')}.000Z`,
})
const ids = (list: Notification[]) => list.map((item) => item.id)

test('merges notifications newest first, each once', () => {
  const list = mergeNotifications([], [note('a', 1), note('c', 30), note('b', 20)])
  assert.deepEqual(ids(list), ['c', 'b', 'a'])
  assert.deepEqual(ids(mergeNotifications(list, [note('d', 40)])), ['d', 'c', 'b', 'a'])
  assert.deepEqual(ids(mergeNotifications(list, [note('b', 20)])), ['c', 'b', 'a'], 'pushed again')
})

test('counts what came after the last one seen', () => {
  const list = [note('c', 30), note('b', 20), note('a', 1)]
  assert.equal(unreadCount(list, null), 3)
  assert.equal(unreadCount(list, '2026-03-01T08:00:20.000Z'), 1)
  assert.equal(unreadCount(list, '2026-03-01T08:00:30.000Z'), 0)
  assert.equal(unreadCount(list, 'garbage'), 3)
  assert.equal(unreadCount([], null), 0)
})

test('the badge and the kind', () => {
  assert.equal(badgeText(0), '')
  assert.equal(badgeText(7), '7')
  assert.equal(badgeText(120), '99+')
  assert.equal(toneOf(note('a', 1, 'media.failed')), 'error')
  assert.equal(toneOf(note('a', 1)), 'success')
  const entered = note('b', 2, 'geofence.entered')
  entered.fleetEvent = {
    version: 1,
    kind: 'geofence.entered',
    id: 'b',
    vehicleName: 'City Truck',
    time: entered.createdAt,
    lat: 53.38,
    lng: -1.47,
    geofence: { id: 'g', name: 'Depot' },
    details: {},
  }
  assert.equal(toneOf(entered), 'alert')
})
