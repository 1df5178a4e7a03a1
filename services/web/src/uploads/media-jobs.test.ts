import assert from 'node:assert/strict'
import { test } from 'node:test'
import { failureReason, isNewer, mergeMedia, reconcileMedia, statusAnnouncement } from './media-jobs.ts'
import type { Media } from '../shared/types.ts'

const job = (id: string, minute: number, changes: Partial<Media> = {}): Media => ({
  id,
  filename: `${id}.mp4`,
  size: 1000,
  status: 'uploaded',
  createdAt: `2026-03-01T08:${String(minute).padStart(2, '0')}:00.000Z`,
  updatedAt: `2026-03-01T08:${String(minute).padStart(2, '0')}:00.000Z`,
  ...changes,
})
const ids = (list: Media[]) => list.map((item) => `${item.id}:${item.status}`)

test('a new job is inserted newest first', () => {
  const list = [job('b', 5), job('a', 1)]
  assert.deepEqual(ids(mergeMedia(list, job('c', 9))), ['c:uploaded', 'b:uploaded', 'a:uploaded'])
  assert.deepEqual(ids(mergeMedia(list, job('m', 3))), ['b:uploaded', 'm:uploaded', 'a:uploaded'])
  assert.deepEqual(ids(mergeMedia([], job('a', 1))), ['a:uploaded'])
})

test('a later state replaces the job in place; an older one is ignored', () => {
  const list = [job('b', 5), job('a', 1)]
  const converting = job('a', 1, { status: 'converting', updatedAt: '2026-03-01T08:02:00.000Z' })
  const merged = mergeMedia(list, converting)
  assert.deepEqual(ids(merged), ['b:uploaded', 'a:converting'])
  assert.deepEqual(ids(mergeMedia(merged, job('a', 1))), ['b:uploaded', 'a:converting'], 'the 202 came late')
  assert.notEqual(merged, list, 'a new list, the old one untouched')
  assert.deepEqual(ids(list), ['b:uploaded', 'a:uploaded'])
})

test('at the same moment, the later stage wins', () => {
  const at = '2026-03-01T08:01:00.000Z'
  const ready = job('a', 1, { status: 'ready', updatedAt: at })
  const converting = job('a', 1, { status: 'converting', updatedAt: at })
  assert.equal(isNewer(ready, converting), true)
  assert.equal(isNewer(converting, ready), false)
  assert.equal(isNewer(ready, ready), false)
  assert.equal(isNewer(job('a', 1, { status: 'failed', updatedAt: 'garbage' }), job('a', 1)), true)
})

test('a reload takes the server list but keeps newer live states and forgets deleted jobs', () => {
  const live = job('a', 1, { status: 'ready', updatedAt: '2026-03-01T08:03:00.000Z' })
  const shown = [job('gone', 7), live]
  const fresh = [job('new', 8), job('a', 1, { status: 'converting', updatedAt: '2026-03-01T08:02:00.000Z' })]
  assert.deepEqual(ids(reconcileMedia(shown, fresh)), ['new:uploaded', 'a:ready'])
  assert.deepEqual(ids(reconcileMedia(shown, fresh, new Set(['new']))), ['a:ready'])
})

test('says what happened to a job in words', () => {
  assert.equal(statusAnnouncement(job('a', 1, { status: 'ready' })), 'a.mp4 is ready to download.')
  assert.equal(statusAnnouncement(job('a', 1, { status: 'converting' })), 'a.mp4 is being converted.')
  assert.equal(
    statusAnnouncement(job('a', 1, { status: 'failed', error: 'no audio track' })),
    'a.mp4 could not be converted: No audio track.',
  )
  assert.equal(failureReason(job('a', 1, { status: 'failed' })), 'No reason was given.')
  assert.equal(failureReason(job('a', 1, { status: 'failed', error: 'Too long!' })), 'Too long!')
})
