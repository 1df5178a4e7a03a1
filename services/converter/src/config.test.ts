import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '@convoy/platform/config'
import { Config } from './config.ts'
import { start } from './main.ts'

test('defaults', () => {
  assert.deepEqual(loadConfig(Config, {}), {
    OPS_PORT: 9085,
    OPS_HOST: '0.0.0.0',
    LOG_LEVEL: 'info',
    AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
    MEDIA_URL: 'http://127.0.0.1:8084',
    CONCURRENCY: 1,
    CONVERSION_TIMEOUT_MS: 600_000,
    MAX_ATTEMPTS: 3,
    RETRY_DELAY_MS: 2000,
    FFMPEG_PATH: 'ffmpeg',
    FFPROBE_PATH: 'ffprobe',
    WORK_DIR: tmpdir(),
  })
})

test('a bad setting stops the start, naming the variable', async () => {
  for (const [name, value] of [
    ['CONCURRENCY', '0'],
    ['MAX_ATTEMPTS', 'three'],
    ['CONVERSION_TIMEOUT_MS', '-1'],
    ['MEDIA_URL', 'media:8084'],
  ]) {
    await assert.rejects(start({ [name!]: value }), new RegExp(`${name}: `))
  }
})

test('a work folder that cannot be made stops the start', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'converter-config-'))
  try {
    await writeFile(path.join(dir, 'file'), '')
    const workDir = path.join(dir, 'file', 'work') // under a file, not a folder
    await assert.rejects(start({ WORK_DIR: workDir, AMQP_URL: 'embedded://unused' }), { code: 'ENOTDIR' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
