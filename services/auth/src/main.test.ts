import assert from 'node:assert/strict'
import { test } from 'node:test'
import { uniqueName } from '@convoy/platform/testing'
import { start } from './main.ts'

const env = (password: string) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  OPS_PORT: '0',
  OPS_HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DATABASE_URL: 'pglite:memory',
  AMQP_URL: `embedded://${uniqueName('auth')}`,
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  CONVOY_ADMIN_PASSWORD: password,
})

test('a first admin password that would not do for an admin stops the first start, naming the variable', async () => {
  for (const [password, reason] of [
    ['short pw', /at least 12 characters for an admin/],
    ['password1234', /most common/],
    ['admin2026!!!', /name of this system|username/],
  ] as const)
    await assert.rejects(start(env(password)), new RegExp(`CONVOY_ADMIN_PASSWORD: .*${reason.source}`))
  const auth = await start(env('a fine first admin phrase'))
  await auth.close()
})
