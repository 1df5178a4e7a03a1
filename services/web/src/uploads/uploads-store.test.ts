import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { Email } from '../shared/types.ts'
import { UploadsStore } from './uploads-store.ts'

const email = (id: string, sent: boolean): Email => ({
  id,
  kind: 'geofence.entered',
  to: 'dispatcher@localhost',
  subject: `subject ${id}`,
  text: '',
  ...(sent && { sentAt: '2026-03-01T08:00:00.000Z' }),
})

/** A store whose server answers `answers` in turn (the last one again after), counting the asks. */
function storeAnswering(t: TestContext, answers: Email[][]) {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let asked = 0
  const store = new UploadsStore({
    api: {
      emails: () => Promise.resolve(answers[Math.min(asked++, answers.length - 1)]!),
      media: () => Promise.resolve([]),
      deleteMedia: () => Promise.resolve(),
    },
    upload: () => {
      throw new Error('no upload here')
    },
  })
  return { store, asked: () => asked }
}

/** Lets the timers' callbacks and the answers they wait for run. */
async function advance(t: TestContext, ms: number) {
  t.mock.timers.tick(ms)
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

test("a fleet alert's email, still to come, is looked for again while the page is open", async (t) => {
  const { store, asked } = storeAnswering(t, [[], [email('a', true)]])
  store.visible = true
  await store.loadEmails(true)
  assert.equal(store.emails.value.length, 0)
  await advance(t, 1_000)
  assert.equal(asked(), 2)
  assert.deepEqual(
    store.emails.value.map((item) => item.id),
    ['a'],
  )
  // Found and sent: nothing more is asked.
  await advance(t, 5_000)
  assert.equal(asked(), 2)
})

test('an email waiting for the mail server is looked at again until it is sent', async (t) => {
  const { store, asked } = storeAnswering(t, [[email('a', false)], [email('a', false)], [email('a', true)]])
  store.visible = true
  await store.loadEmails()
  await advance(t, 1_000)
  await advance(t, 1_000)
  assert.equal(asked(), 3)
  assert.ok(store.emails.value[0]!.sentAt)
  await advance(t, 5_000)
  assert.equal(asked(), 3)
})

test('with the page closed, the emails are loaded once', async (t) => {
  const { store, asked } = storeAnswering(t, [[email('a', false)]])
  await store.loadEmails(true)
  await advance(t, 5_000)
  assert.equal(asked(), 1)
})
