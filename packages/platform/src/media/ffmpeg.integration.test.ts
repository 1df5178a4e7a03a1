import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ConversionFailedError, ConversionTimeoutError, extractMp3, probe } from './ffmpeg.ts'
import { run } from './run.ts'

let dir: string
const at = (name: string) => path.join(dir, name)

/** Makes a test file with ffmpeg from its built-in (lavfi) sources. */
async function make(name: string, args: string[]) {
  const result = await run('ffmpeg', ['-nostdin', '-v', 'error', ...args, '-y', at(name)], {
    timeoutMs: 60_000,
  })
  assert.equal(result.code, 0, result.stderr)
}
const picture = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25']
const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440']
const h264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']

async function ffprobeJson(file: string) {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]
  const result = await run('ffprobe', args, { timeoutMs: 30_000 })
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as {
    format: { format_name: string; duration: string }
    streams: Array<{ codec_type: string; codec_name: string }>
  }
}

/** Whatever a conversion left in `folder`, besides the test's inputs. */
async function outputs(folder: string) {
  return readdir(folder)
}

/** Processes whose command line mentions `text` (Linux /proc). */
async function processesMentioning(text: string) {
  const found: string[] = []
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (command.includes(text)) found.push(`${pid}: ${command.replaceAll('\0', ' ')}`)
  }
  return found
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convoy-ffmpeg-'))
  await Promise.all([
    make('with-audio.mp4', [...picture, ...tone, '-t', '2', ...h264, '-c:a', 'aac']),
    make('silent.mp4', [...picture, '-t', '2', ...h264]),
    make('with-audio.mkv', [...picture, ...tone, '-t', '2', '-c:v', 'mpeg4', '-c:a', 'libvorbis']),
    make('sound-only.mp4', [...tone, '-t', '2', '-c:a', 'aac']),
    make('sound.wav', [...tone, '-t', '1']),
    // A long input that takes ffmpeg seconds to convert: a tiny picture and 20 minutes of raw sound.
    make('long.mkv', [
      ...['-f', 'lavfi', '-i', 'color=size=16x16:rate=1', ...tone, '-t', '1200'],
      ...['-c:v', 'rawvideo', '-c:a', 'pcm_s16le'],
    ]),
  ])
  await writeFile(at('text.mp4'), 'this is not a video\n')
  await writeFile(at('garbage.mp4'), randomBytes(64 * 1024))
  await writeFile(at('truncated.mp4'), await readFile(at('with-audio.mp4')))
  await truncate(at('truncated.mp4'), 4096)
  await writeFile(at('wav-named.mp4'), await readFile(at('sound.wav')))
})
after(() => rm(dir, { recursive: true, force: true }))

describe('probe', () => {
  test('a video with sound: its container, duration and audio', async () => {
    const info = await probe(at('with-audio.mp4'))
    assert.ok(info.video)
    assert.match(info.format, /mp4/)
    assert.ok(Math.abs(info.durationSeconds! - 2) < 0.1, String(info.durationSeconds))
    assert.equal(info.audio, true)
    const mkv = await probe(at('with-audio.mkv'))
    assert.ok(mkv.video)
    assert.match(mkv.format, /matroska/)
    assert.equal(mkv.audio, true)
  })

  test('a video without sound', async () => {
    const info = await probe(at('silent.mp4'))
    assert.ok(info.video)
    assert.equal(info.audio, false)
  })

  test('files that are not videos, whatever their name says', async () => {
    const cases: Array<[string, RegExp]> = [
      ['text.mp4', /Invalid data found when processing input/],
      ['garbage.mp4', /Invalid data found when processing input/],
      ['truncated.mp4', /moov atom not found/],
      ['wav-named.mp4', /^wav is not a video container$/],
      ['sound.wav', /^wav is not a video container$/],
      ['sound-only.mp4', /^no video stream$/],
      ['missing.mp4', /No such file or directory/],
    ]
    for (const [name, reason] of cases) {
      const info = await probe(at(name))
      assert.equal(info.video, false, name)
      if (!info.video) {
        assert.match(info.reason, reason, name)
        assert.ok(!info.reason.includes(dir), `${name}: the reason shows a server path: ${info.reason}`)
      }
    }
  })
})

describe('extractMp3', () => {
  test('writes an MP3 of the same length as the video', async () => {
    const out = await mkdtemp(path.join(dir, 'out-'))
    await extractMp3(at('with-audio.mp4'), path.join(out, 'a.mp3'), { timeoutMs: 60_000 })
    await extractMp3(at('with-audio.mkv'), path.join(out, 'b.mp3'), { timeoutMs: 60_000 })
    assert.deepEqual((await outputs(out)).sort(), ['a.mp3', 'b.mp3'])
    for (const file of ['a.mp3', 'b.mp3']) {
      const { format, streams } = await ffprobeJson(path.join(out, file))
      assert.equal(format.format_name, 'mp3')
      assert.deepEqual(
        streams.map((s) => [s.codec_type, s.codec_name]),
        [['audio', 'mp3']],
      )
      assert.ok(Math.abs(Number(format.duration) - 2) < 0.2, `${file}: ${format.duration} s`)
    }
  })

  test('fails with a readable reason for a video without sound or a file that is not a video', async () => {
    const out = await mkdtemp(path.join(dir, 'out-'))
    const cases: Array<[string, RegExp]> = [
      ['silent.mp4', /^no audio track$/],
      ['text.mp4', /^not a video: .*Invalid data found when processing input/],
      ['truncated.mp4', /^not a video: moov atom not found/],
      ['garbage.mp4', /^not a video: /],
      ['sound.wav', /^not a video: wav is not a video container$/],
      ['sound-only.mp4', /^not a video: no video stream$/],
    ]
    for (const [name, reason] of cases) {
      const error = await extractMp3(at(name), path.join(out, 'x.mp3'), { timeoutMs: 60_000 }).then(
        () => assert.fail(`${name}: converted`),
        (error: unknown) => error,
      )
      assert.ok(error instanceof ConversionFailedError, name)
      assert.match(error.reason, reason, name)
    }
    assert.deepEqual(await outputs(out), [])
  })

  test('kills ffmpeg past the time limit and leaves no partial output', async () => {
    const out = await mkdtemp(path.join(dir, 'out-'))
    const started = Date.now()
    await assert.rejects(
      extractMp3(at('long.mkv'), path.join(out, 'long.mp3'), { timeoutMs: 400 }),
      (error) => error instanceof ConversionTimeoutError && error.timeoutMs === 400,
    )
    // Well before the seconds a full conversion takes: SIGTERM at 400 ms, SIGKILL 2 s later at worst.
    assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`)
    assert.deepEqual(await processesMentioning(out), [])
    assert.deepEqual(await outputs(out), [])
  })
})
