import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NotificationCenter, type BellLike, type ToastsLike } from './notification-center.ts'
import { seenKey } from './notification-list.ts'
import type { Notification } from '../shared/types.ts'

const ADA = '00000000-0000-4000-8000-000000000001'
const BOB = '00000000-0000-4000-8000-000000000002'
const VIC = '00000000-0000-4000-8000-000000000003'

const note = (id: string, second: number, kind = 'media.ready'): Notification => ({
  id,
  kind,
  title: `title ${id}`,
  body: '',
  createdAt: `2026-03-01T08:00:${String(second).padStart(2, '0')}.000Z`,
})
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function harness(loaded: Notification[] = []) {
  const bell = { visible: false, ids: [] as string[], unread: -1 }
  const toasts: Array<{ title: string; tone: string; link?: string }> = []
  const stored = new Map<string, string>()
  const fakeBell: BellLike = {
    setVisible: (visible) => (bell.visible = visible),
    show: (list, unread) => {
      bell.ids = list.map((item) => item.id)
      bell.unread = unread
    },
  }
  const fakeToasts: ToastsLike = {
    show: (toast) => toasts.push({ title: toast.title, tone: toast.tone, link: toast.link?.href }),
    clear: () => (toasts.length = 0),
  }
  const arrived: string[] = []
  let onUploads = false
  const center = new NotificationCenter({
    api: { notifications: async () => loaded },
    bell: fakeBell,
    toasts: fakeToasts,
    storage: {
      getItem: (key) => stored.get(key) ?? null,
      setItem: (key, value) => void stored.set(key, value),
      removeItem: (key) => void stored.delete(key),
    },
    onUploadsPage: () => onUploads,
    onArrived: (notification) => arrived.push(notification.id),
  })
  return { center, bell, toasts, stored, arrived, setOnUploads: (value: boolean) => (onUploads = value) }
}

test('loads the notifications at sign-in: all unread until the panel is opened', async () => {
  const { center, bell, stored } = harness([note('b', 20), note('a', 10)])
  center.start({ id: ADA, username: 'ada', role: 'dispatcher' })
  await settle()
  assert.equal(bell.visible, true)
  assert.deepEqual(bell.ids, ['b', 'a'])
  assert.equal(bell.unread, 2)
  center.markSeen()
  assert.equal(bell.unread, 0)
  assert.equal(stored.get(seenKey(ADA)), '2026-03-01T08:00:20.000Z')
})

test('a live notification goes on the bell with a toast, once', async () => {
  const { center, bell, toasts, arrived, setOnUploads } = harness([note('a', 10)])
  center.start({ id: ADA, username: 'ada', role: 'admin' })
  await settle()
  center.markSeen()
  center.receive(note('b', 30))
  center.receive(note('b', 30)) // pushed again
  assert.deepEqual(bell.ids, ['b', 'a'])
  assert.equal(bell.unread, 1)
  assert.deepEqual(toasts, [{ title: 'title b', tone: 'success', link: '#/uploads' }])
  assert.deepEqual(arrived, ['b'])
  setOnUploads(true)
  center.receive(note('c', 40, 'media.failed'))
  assert.deepEqual(
    toasts.at(-1),
    { title: 'title c', tone: 'error', link: undefined },
    'no link to this page',
  )
})

test('viewers have no bell; signing out forgets everything', async () => {
  const { center, bell, toasts } = harness([note('a', 10)])
  center.start({ id: VIC, username: 'vic', role: 'viewer' })
  await settle()
  assert.equal(bell.visible, false)
  assert.deepEqual(bell.ids, [])
  center.start({ id: ADA, username: 'ada', role: 'admin' })
  center.receive(note('b', 20))
  center.stop()
  assert.equal(bell.visible, false)
  assert.deepEqual(toasts, [])
  center.receive(note('c', 30))
  assert.deepEqual(toasts, [], 'nothing after sign-out')
})

test('the last seen is kept per user', async () => {
  const { center, bell, stored } = harness([note('a', 10)])
  stored.set(seenKey(ADA), '2026-03-01T08:00:10.000Z')
  center.start({ id: ADA, username: 'ada', role: 'dispatcher' })
  await settle()
  assert.equal(bell.unread, 0)
  center.stop()
  center.start({ id: BOB, username: 'bob', role: 'dispatcher' })
  await settle()
  assert.equal(bell.unread, 1)
})
