import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { testLogger } from '../testing/index.ts'
import { checkMediaTools } from './tools.ts'

const dir = await mkdtemp(path.join(tmpdir(), 'convoy-tools-'))
after(() => rm(dir, { recursive: true, force: true }))
const check = (tools: Record<string, string>) =>
  checkMediaTools(tools, { log: testLogger(), meanwhile: 'videos cannot be converted' })

test('ffmpeg and ffprobe on the PATH run: nothing to tell', async () => {
  const tools = await check({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })
  assert.equal(await tools.check(), true)
  assert.equal(tools.notice, undefined)
})

test('a tool that is not installed is named, with where it was looked for when configured', async () => {
  const unknown = await check({ 'convoy-no-such-tool': 'convoy-no-such-tool' })
  assert.equal(await unknown.check(), 'convoy-no-such-tool is not installed')
  const missing = path.join(dir, 'ffprobe')
  const tools = await check({ ffmpeg: 'ffmpeg', ffprobe: missing })
  assert.equal(await tools.check(), `ffprobe is not installed (not found: ${missing})`)
  assert.equal(
    tools.notice,
    `ffprobe is not installed (not found: ${missing}): videos cannot be converted until it is (apt-get install ffmpeg / brew install ffmpeg).`,
  )
})

test('a tool that is there but cannot run says why, in its own words', async () => {
  const broken = path.join(dir, 'ffmpeg')
  await writeFile(
    broken,
    '#!/bin/sh\necho "error while loading shared libraries: libavdevice.so.59" >&2\nexit 127\n',
  )
  await chmod(broken, 0o755)
  const tools = await check({ ffmpeg: broken })
  assert.equal(
    await tools.check(),
    'ffmpeg cannot run: error while loading shared libraries: libavdevice.so.59',
  )
  assert.match(tools.notice ?? '', /: videos cannot be converted until it runs \(apt-get install ffmpeg/)
})
