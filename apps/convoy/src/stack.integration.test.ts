import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { eventually, isRunning, TEST_POSTGRES_URL } from '@convoy/platform/testing'
import { startStack } from './stack.ts'

test('a service that cannot start fails the stack at once, instead of a false success', async () => {
  // The tracker's configuration is wrong: it must exit, and the launcher must say so, not claim success.
  await assert.rejects(
    startStack({
      postgresUrl: TEST_POSTGRES_URL,
      databaseUrls: { auth: 'pglite:memory', 'position-tracker': 'pglite:memory' },
      amqpUrl: `embedded://stack-test`,
      port: 0,
      stdio: 'ignore',
      env: { LOG_LEVEL: 'silent' },
      serviceEnv: { 'position-tracker': { RETENTION_DAYS: 'a week' } },
    }),
    /position-tracker exited with code 1 while starting/,
  )
})

test('a service stops by itself, gracefully, when the launcher that started it is killed', async () => {
  // A launcher in a process of its own starts one service, then is killed outright.
  const launcher = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { spawnService, started } from ${JSON.stringify(new URL('./stack.ts', import.meta.url).href)}
       const web = spawnService('web', { ...process.env, PORT: '0', OPS_PORT: '0', LOG_LEVEL: 'info' })
       await started(web, 'web')
       console.log(JSON.stringify({ pid: web.pid }))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines: string[] = []
  createInterface({ input: launcher.stdout }).on('line', (line) => lines.push(line))
  const { pid } = await eventually(
    () => lines.map((line) => JSON.parse(line) as { pid?: number }).find((event) => event.pid),
    'the service started',
    30_000,
  )
  launcher.kill('SIGKILL')
  await eventually(async () => !(await isRunning(pid!)), 'the service gone with its launcher')
  const said = () =>
    lines
      .map((line) => JSON.parse(line) as { service?: string; msg?: string; signal?: string })
      .filter((e) => e.service === 'web' && (e.msg === 'shutting down' || e.msg === 'stopped'))
      .map(({ msg, signal }) => `${msg}${signal ? ` on ${signal}` : ''}`)
  await eventually(() => said().includes('stopped'), 'its last words')
  assert.deepEqual(said(), ['shutting down on SIGTERM', 'stopped'])
})
