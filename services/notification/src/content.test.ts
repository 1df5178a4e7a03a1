import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MediaEvent } from '@convoy/contracts'
import { legacyUserId } from '@convoy/access'
import { draftFor, eventProblem, latest, recipientOf } from './content.ts'

const settings = { publicUrl: 'https://convoy.example.com/', mailDomain: 'example.com' }
const event = (media: Partial<MediaEvent['media']>, owner = 'alice'): MediaEvent => ({
  version: 2,
  ownerId: legacyUserId(owner),
  ownerName: owner,
  media: {
    id: '5f0c3c9e-4c59-4d1f-9a4e-2d1c1b0a9f00',
    filename: 'dashcam.mp4',
    size: 1000,
    status: 'ready',
    createdAt: '2026-01-01T12:00:00.000Z',
    updatedAt: '2026-01-01T12:01:00.000Z',
    ...media,
  },
})

test('a username is mailed at the mail domain; an address is mailed as it is', () => {
  assert.equal(recipientOf('alice', 'example.com'), 'alice@example.com')
  assert.equal(recipientOf('bob@elsewhere.org', 'example.com'), 'bob@elsewhere.org')
  for (const owner of ['a b', 'a@b@c', '@x', 'x@', 'a<b>', 'a,b'])
    assert.equal(recipientOf(owner, 'example.com'), undefined, owner)
})

test('ready: the MP3 is ready, with a link to the uploads', () => {
  const draft = draftFor(event({}), settings)
  assert.equal(draft.kind, 'media.ready')
  assert.equal(draft.title, 'Your MP3 of dashcam.mp4 is ready')
  assert.match(draft.body, /dashcam\.mp4/)
  assert.match(draft.body, /https:\/\/convoy\.example\.com\/#\/uploads$/)
  assert.deepEqual(draft.emails, [
    {
      recipientId: legacyUserId('alice'),
      to: 'alice@example.com',
      subject: draft.title,
      text: draft.body,
      messageId: '<media-5f0c3c9e-4c59-4d1f-9a4e-2d1c1b0a9f00-ready@convoy>',
    },
  ])
})

test('failed: says why, with the link; a file name cannot break a line', () => {
  const draft = draftFor(
    event({ status: 'failed', error: 'the file has no audio track', filename: 'trip\r\nBcc: x@y.z.mp4' }),
    settings,
  )
  assert.equal(draft.kind, 'media.failed')
  assert.equal(draft.title, 'trip Bcc: x@y.z.mp4 could not be converted')
  assert.match(draft.body, /Reason: the file has no audio track/)
  assert.match(draft.body, /#\/uploads$/)
  assert.match(draft.emails![0]!.messageId, /-failed@convoy>$/)
  assert.match(draftFor(event({ status: 'failed' }), settings).body, /Reason: none was given/)
})

test('events that call for no notification are refused, with the reason', () => {
  assert.equal(eventProblem(event({}), 'example.com'), undefined)
  assert.match(eventProblem(event({ status: 'converting' }), 'example.com')!, /neither ready nor failed/)
  assert.match(eventProblem(event({}, 'not an address'), 'example.com')!, /owner/)
})

test('a version-1 event (owner by username) is for the user that name was given an id for', () => {
  const { version: _, ownerId, ownerName, media } = event({})
  assert.deepEqual(latest({ version: 1, owner: 'alice', media }), { version: 2, ownerId, ownerName, media })
  assert.equal(ownerId, legacyUserId('alice'))
})

test('a file name loses the invisible characters that reorder text', () => {
  assert.equal(
    draftFor(event({ filename: 'trip\u202e4pm.exe' }), settings).title,
    'Your MP3 of trip4pm.exe is ready',
  )
})
