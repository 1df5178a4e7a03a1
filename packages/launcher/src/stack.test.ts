import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { TEST_POSTGRES_URL } from '@convoy/platform/testing'
import { startStack } from './stack.ts'

test('a service that cannot start fails the stack at once, instead of a false success', async () => {
  // The gateway's port is taken: it must exit, and the launcher must say so, not claim success.
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const port = (blocker.address() as net.AddressInfo).port
  try {
    await assert.rejects(
      startStack({
        postgresUrl: TEST_POSTGRES_URL,
        databaseUrls: { auth: 'pglite:memory', 'position-tracker': 'pglite:memory' },
        amqpUrl: `memory://stack-test`,
        port,
        stdio: 'ignore',
        env: { LOG_LEVEL: 'silent' },
      }),
      /gateway exited with code 1 while starting/,
    )
  } finally {
    blocker.close()
  }
})
