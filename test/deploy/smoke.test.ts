/**
 * scripts/smoke.ts, the deploy workflow's smoke test, run as the workflow runs it (a child process,
 * configured by its environment) against the stack topology on this machine: it passes on a
 * working system and leaves no upload behind, and it fails with exit code 1 and a line that says
 * what failed, or 2 when its environment is incomplete.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Media } from '@convoy/contracts'
import { probe } from '@convoy/platform/media'
import { freePorts } from '@convoy/platform/testing'
import { login, startTestStack, TEST_ADMIN_PASSWORD, type TestStack } from '@convoy/system/testing'
import { smokeVideo } from '../../scripts/smoke.ts'

const SMOKE = fileURLToPath(new URL('../../scripts/smoke.ts', import.meta.url))

/** Runs the smoke test with exactly `env` (and PATH); its exit code and what it printed. */
function runSmoke(env: Record<string, string>, timeoutMs = 240_000) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [SMOKE], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    })
    let output = ''
    child.stdout.on('data', (data: Buffer) => (output += data.toString()))
    child.stderr.on('data', (data: Buffer) => (output += data.toString()))
    child.on('exit', (code) => resolve({ code, output }))
  })
}

test('the smoke video is a video with a sound track, as media probes it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'convoy-smoke-'))
  try {
    const file = path.join(dir, 'smoke.avi')
    await writeFile(file, smokeVideo())
    const info = await probe(file)
    assert.ok(info.video, info.video ? '' : info.reason)
    assert.equal(info.audio, true)
    assert.equal(info.format, 'avi')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('without a URL or a password it says what it needs and exits with 2', async () => {
  const { code, output } = await runSmoke({ CONVOY_URL: 'http://127.0.0.1:1' })
  assert.equal(code, 2)
  assert.match(output, /usage: CONVOY_URL=.* CONVOY_SMOKE_PASSWORD=/)
})

test('a system that does not answer fails the first check, with the reason, and exit code 1', async () => {
  const [port] = (await freePorts(1)) as [number]
  const { code, output } = await runSmoke({
    CONVOY_URL: `http://127.0.0.1:${port}`,
    CONVOY_SMOKE_PASSWORD: 'anything at all',
  })
  assert.equal(code, 1, output)
  assert.match(output, /^FAIL {2}sign in as admin \([\d.]+ s\): POST \/api\/auth\/login: ECONNREFUSED$/m)
})

describe('against the stack topology', () => {
  let system: TestStack

  before(async () => {
    system = await startTestStack()
  })
  after(async () => {
    await system?.close()
  })

  test('passes: signs in, sees vehicles move, converts an upload to MP3, is notified; cleans up', async () => {
    const { code, output } = await runSmoke({
      CONVOY_URL: system.url,
      CONVOY_SMOKE_PASSWORD: TEST_ADMIN_PASSWORD,
    })
    assert.equal(code, 0, output)
    for (const check of [
      'sign in as admin',
      'the web app',
      'vehicles move',
      'the live feed',
      'an upload converts to MP3',
      'its owner is notified',
    ])
      assert.match(output, new RegExp(`^ok {4}${check} \\(`, 'm'), `${check}:\n${output}`)
    assert.match(output, /^Smoke test passed$/m)
    assert.doesNotMatch(output, /^note/m, 'its clean-up failed')

    const token = await login(system.url)
    const uploads = (await (
      await fetch(`${system.url}/api/media`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Media[]
    assert.deepEqual(uploads, [], 'the smoke upload is deleted')
  })

  test('a wrong password fails at sign-in, with the answer, and exit code 1', async () => {
    const { code, output } = await runSmoke({
      CONVOY_URL: system.url,
      CONVOY_SMOKE_PASSWORD: 'not the password',
    })
    assert.equal(code, 1, output)
    assert.match(output, /^FAIL {2}sign in as admin \([\d.]+ s\): POST \/api\/auth\/login: 401 /m)
    assert.doesNotMatch(output, /^ok/m)
  })
})
