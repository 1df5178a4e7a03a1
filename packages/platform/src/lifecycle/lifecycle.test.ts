import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHttpApp } from '../http/index.ts'
import { testLogger } from '../testing/index.ts'
import { closeInOrder, serve } from './index.ts'

test('closeInOrder attempts every step, then fails naming those that failed', async () => {
  const ran: string[] = []
  await assert.rejects(
    closeInOrder(testLogger(), [
      ['a', () => ran.push('a')],
      ['b', () => Promise.reject(new Error('stuck'))],
      ['c', () => ran.push('c')],
    ]),
    /shutdown steps failed: b/,
  )
  assert.deepEqual(ran, ['a', 'c'])
})

test('serve releases what the service opened when it cannot listen', async () => {
  const holder = createHttpApp({ service: 'holder', log: testLogger() })
  const { url } = await serve(holder, { port: 0, host: '127.0.0.1', log: testLogger() })
  const released: string[] = []
  const second = createHttpApp({ service: 'second', log: testLogger() })
  await assert.rejects(
    serve(second, {
      port: Number(new URL(url).port),
      host: '127.0.0.1',
      log: testLogger(),
      drain: [['consumer', () => released.push('consumer')]],
      release: [['broker', () => released.push('broker')]],
    }),
    /EADDRINUSE/,
  )
  assert.deepEqual(released, ['consumer', 'broker'])
  await holder.close()
})
