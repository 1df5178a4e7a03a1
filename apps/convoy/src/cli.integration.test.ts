/**
 * `npm start` and `npm run stack` as a user runs them: the launcher (`cli.ts`) in a process of its
 * own, talked to with signals, watched through what it prints.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { access, mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import {
  createTestVhost,
  eventually,
  startOtlpReceiver,
  TEST_POSTGRES_URL,
  uniqueName,
} from '@convoy/platform/testing'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { SERVICES } from './system.ts'

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url))
const dir = await mkdtemp(path.join(tmpdir(), 'convoy-cli-'))
after(() => rm(dir, { recursive: true, force: true }))

/** The launcher running `topology` with `env`; what it printed so far, on both outputs. */
function launch(topology: 'embedded' | 'stack', env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, topology], {
    env: { ...process.env, ...env },
    // A process group of its own, as a terminal gives the command it runs: the test can send a
    // Ctrl-C to the whole group without sending it to itself.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return { child, output: () => output, exited }
}

test('a port already taken stops both launchers first, naming it, before anything is written or connected', async () => {
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const { port } = blocker.address() as net.AddressInfo
  try {
    for (const topology of ['embedded', 'stack'] as const) {
      const dataDir = path.join(dir, `${topology}-data`)
      const launcher = launch(topology, {
        PORT: String(port),
        CONVOY_DATA_DIR: dataDir,
        // Nothing answers here: a launcher that went on to its databases would fail otherwise.
        CONVOY_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres',
        AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
      })
      const [code] = await launcher.exited
      assert.equal(code, 1, topology)
      assert.match(
        launcher.output(),
        new RegExp(`Convoy failed to start: port ${port} on 127\\.0\\.0\\.1 is already in use`),
      )
      await assert.rejects(access(dataDir), { code: 'ENOENT' }, `${topology}: no data directory made`)
    }
  } finally {
    blocker.close()
  }
})

test('Ctrl-C on the stack stops the services one after another, simulator first, auth last', async () => {
  const prefix = `${uniqueName('convoy_test')}_`
  const vhost = await createTestVhost()
  const launcher = launch('stack', {
    PORT: '0',
    CONVOY_POSTGRES_URL: TEST_POSTGRES_URL,
    CONVOY_DATABASE_PREFIX: prefix,
    AMQP_URL: vhost.url,
    CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    BLOB_STORE_URL: `file://${path.join(dir, 'stack-media')}`,
    WORK_DIR: path.join(dir, 'stack-work'),
    LOG_LEVEL: 'info',
    VEHICLES: '1',
  })
  try {
    await eventually(
      () => launcher.output().includes('Convoy is running (stack)'),
      'the stack running',
      60_000,
    )
    // The terminal's Ctrl-C goes to the whole group; npm passes it on to the launcher once more.
    process.kill(-launcher.child.pid!, 'SIGINT')
    launcher.child.kill('SIGINT')
    const [code] = await launcher.exited
    assert.equal(code, 0, launcher.output())

    const events = launcher
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { service: string; msg: string; signal?: string })
      .filter((event) => event.msg === 'shutting down' || event.msg === 'stopped')
    const expected = SERVICES.toReversed().flatMap((service) => [
      { service, msg: 'shutting down', signal: 'SIGTERM' },
      { service, msg: 'stopped' },
    ])
    assert.deepEqual(
      events.map(({ service, msg, signal }) => ({ service, msg, ...(signal ? { signal } : {}) })),
      expected,
    )
    assert.match(launcher.output(), /^Stopping Convoy\.\.\.$/m)
    assert.match(launcher.output(), /\nConvoy stopped\.\n$/)
    assert.doesNotMatch(launcher.output(), /Stopping at once/)
  } finally {
    if (launcher.child.exitCode === null) process.kill(-launcher.child.pid!, 'SIGKILL')
    await vhost.drop()
    await dropDatabases(prefix)
  }
})

test('npm start with tracing on: one resource, `convoy`, each span naming its service in convoy.service', async () => {
  const receiver = await startOtlpReceiver()
  const launcher = launch('embedded', {
    PORT: '0',
    CONVOY_DATA_DIR: path.join(dir, 'traced-data'),
    CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    VEHICLES: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  })
  try {
    const url = await eventually(
      () => /Convoy is running \(embedded\) at (http:\/\/\S+)/.exec(launcher.output())?.[1],
      'the system running',
      60_000,
    )
    const token = await login(url)
    assert.equal(
      (await fetch(`${url}/api/vehicles`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    )
    const service = (span: { attributes: Record<string, unknown> }) => span.attributes['convoy.service']
    // The request: the gateway's server span, its call, and the tracker's server span below it.
    const { tracker, call } = await eventually(() => {
      const spans = receiver.spans()
      const tracker = spans.find((s) => s.kind === 2 && s.attributes['http.route'] === '/vehicles')
      const call = spans.find((s) => s.spanId === tracker?.parentSpanId)
      return tracker && call ? { tracker, call } : null
    }, 'the tracker’s server span and the gateway’s call')
    assert.deepEqual([service(tracker), service(call), call.kind], ['position-tracker', 'gateway', 3])
    // A report: the simulator's, consumed in the tracker's own context, not its publisher's.
    const { consumed, sent } = await eventually(() => {
      const spans = receiver.spans()
      const consumed = spans.find(
        (s) => s.kind === 5 && s.attributes['messaging.destination.name'] === 'position-tracker.positions',
      )
      const sent = spans.find((s) => s.spanId === consumed?.parentSpanId)
      return consumed && sent ? { consumed, sent } : null
    }, 'a report sent and consumed')
    assert.deepEqual([service(sent), service(consumed)], ['position-simulator', 'position-tracker'])
    assert.deepEqual([...new Set(receiver.spans().map((s) => s.service))], ['convoy'])
    assert.deepEqual(
      receiver.spans().filter((s) => service(s) === undefined),
      [],
      'every span names its service',
    )
    process.kill(-launcher.child.pid!, 'SIGINT')
    const [code] = await launcher.exited
    assert.equal(code, 0, launcher.output())
  } finally {
    if (launcher.child.exitCode === null) process.kill(-launcher.child.pid!, 'SIGKILL')
    await receiver.close()
  }
})

async function dropDatabases(prefix: string) {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    for (const name of ['auth', 'position_tracker', 'fleet_events', 'media', 'notification'])
      await client.query(`DROP DATABASE IF EXISTS ${prefix}${name} WITH (FORCE)`)
  } finally {
    await client.end()
  }
}
