import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { mediaTools, mediaToolsNotice } from './tools.ts'

const dir = await mkdtemp(path.join(tmpdir(), 'convoy-tools-'))
after(() => rm(dir, { recursive: true, force: true }))

test('ffmpeg and ffprobe on the PATH run', async () => {
  assert.equal(await mediaTools({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })(), true)
})

test('a tool that is not installed is named, with where it was looked for when configured', async () => {
  assert.equal(
    await mediaTools({ 'convoy-no-such-tool': 'convoy-no-such-tool' })(),
    'convoy-no-such-tool is not installed',
  )
  const missing = path.join(dir, 'ffprobe')
  assert.equal(
    await mediaTools({ ffmpeg: 'ffmpeg', ffprobe: missing })(),
    `ffprobe is not installed (not found: ${missing})`,
  )
})

test('a tool that is there but cannot run says why, in its own words', async () => {
  const broken = path.join(dir, 'ffmpeg')
  await writeFile(
    broken,
    '#!/bin/sh\necho "error while loading shared libraries: libavdevice.so.59" >&2\nexit 127\n',
  )
  await chmod(broken, 0o755)
  assert.equal(
    await mediaTools({ ffmpeg: broken })(),
    'ffmpeg cannot run: error while loading shared libraries: libavdevice.so.59',
  )
})

test('what the first admin is told', () => {
  assert.equal(
    mediaToolsNotice('ffmpeg is not installed', 'videos cannot be converted'),
    'ffmpeg is not installed: videos cannot be converted until it is (apt-get install ffmpeg / brew install ffmpeg).',
  )
})
