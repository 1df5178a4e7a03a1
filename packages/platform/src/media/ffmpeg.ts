import { randomUUID } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { run } from './run.ts'

/** A conversion that cannot succeed with this input: retrying it would fail the same way. */
export class ConversionFailedError extends Error {
  readonly code = 'conversion-failed'
  /** A short reason a user can read: "no audio track", "not a video: …", ffmpeg's own words. */
  readonly reason: string
  constructor(reason: string) {
    super(reason)
    this.reason = reason
  }
}

/** A conversion (or probe) that ran past its time limit and was killed. */
export class ConversionTimeoutError extends Error {
  readonly code = 'conversion-timeout'
  readonly timeoutMs: number
  constructor(timeoutMs: number) {
    super(`conversion took longer than ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

export type ProbeResult =
  | { video: true; format: string; durationSeconds: number | null; audio: boolean }
  | { video: false; reason: string }

// The demuxers of video containers (ffmpeg's names; `mov` is mp4/mov/3gp, `matroska` also webm).
// Only these are ever opened, and only from local files: an upload cannot make ffmpeg read a
// playlist, fetch a URL or open another file.
const VIDEO_FORMATS = 'mov,matroska,avi,mpegts,mpeg,flv,asf,ogg,mxf'
const SAFE_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', VIDEO_FORMATS]
const PROBE_TIMEOUT_MS = 30_000
const MP3_BITRATE = '128k'

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string }
  streams?: Array<{ codec_type?: string; disposition?: { attached_pic?: number } }>
}

/**
 * Looks inside `file` (not at its name or declared type): a video is a known video container with
 * at least one moving-picture stream (cover art does not count).
 *
 * @example
 * const info = await probe('/data/videos/3f2c')
 * if (!info.video) throw new UnsupportedMediaTypeError(info.reason)
 */
export async function probe(
  file: string,
  { timeoutMs = PROBE_TIMEOUT_MS, ffprobe = 'ffprobe' } = {},
): Promise<ProbeResult> {
  const input = path.resolve(file)
  const args = ['-v', 'error', ...SAFE_INPUT, '-print_format', 'json', '-show_format', '-show_streams']
  const result = await run(ffprobe, [...args, input], { timeoutMs })
  if (result.timedOut) throw new ConversionTimeoutError(timeoutMs)
  if (result.code !== 0) return { video: false, reason: failure(result.stderr, input, 'ffprobe') }
  let output: FfprobeOutput
  try {
    output = JSON.parse(result.stdout) as FfprobeOutput
  } catch {
    return { video: false, reason: 'unreadable ffprobe output' }
  }
  const streams = output.streams ?? []
  if (!streams.some((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1))
    return { video: false, reason: 'no video stream' }
  const duration = Number(output.format?.duration)
  return {
    video: true,
    format: output.format?.format_name ?? 'unknown',
    durationSeconds: Number.isFinite(duration) ? duration : null,
    audio: streams.some((s) => s.codec_type === 'audio'),
  }
}

/**
 * Extracts the first audio track of the video `input` as an MP3 at `output`, which appears only
 * when complete (written beside it under a temporary name, then renamed). Fails with
 * {@link ConversionFailedError} for a file that is not a video or has no audio, or that ffmpeg
 * cannot decode; with {@link ConversionTimeoutError} past `timeoutMs` (probe included), after
 * killing ffmpeg. Nothing is left at or beside `output` on failure. `ffmpeg` and `ffprobe` name
 * the tools when they are not on the PATH.
 *
 * @example
 * await extractMp3('/data/videos/3f2c', '/data/mp3/3f2c.mp3', { timeoutMs: 10 * 60_000 })
 */
export async function extractMp3(
  input: string,
  output: string,
  {
    timeoutMs,
    ffmpeg = 'ffmpeg',
    ffprobe = 'ffprobe',
  }: { timeoutMs: number; ffmpeg?: string; ffprobe?: string },
) {
  const deadline = Date.now() + timeoutMs
  const source = path.resolve(input)
  const info = await probe(source, { timeoutMs, ffprobe })
  if (!info.video) throw new ConversionFailedError(`not a video: ${info.reason}`)
  if (!info.audio) throw new ConversionFailedError('no audio track')

  const target = path.resolve(output)
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`)
  // prettier-ignore
  const args = [
    '-nostdin', '-v', 'error', ...SAFE_INPUT, '-i', source,
    '-map', '0:a:0', '-vn', '-c:a', 'libmp3lame', '-b:a', MP3_BITRATE, '-f', 'mp3', '-n', temp,
  ]
  try {
    const result = await run(ffmpeg, args, { timeoutMs: Math.max(1, deadline - Date.now()) })
    if (result.timedOut) throw new ConversionTimeoutError(timeoutMs)
    if (result.code !== 0) throw new ConversionFailedError(failure(result.stderr, source, 'ffmpeg'))
    await rename(temp, target)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/**
 * ffmpeg's reason for a failure, readable by the file's owner: its last error lines without the
 * server's paths and log prefixes, e.g. "moov atom not found; Invalid data found when processing input".
 */
function failure(stderr: string, input: string, tool: string): string {
  const lines = stderr
    .split('\n')
    .map((line) =>
      line
        .replaceAll(input, path.basename(input))
        .replace(/^\[([^\]@]+) @ 0x[0-9a-f]+\] Format not on whitelist.*/, '$1 is not a video container')
        .replace(/^\[[^\]]+\] /, '')
        .replace(`${path.basename(input)}: `, '')
        .trim(),
    )
    .filter((line, i, all) => line && all.indexOf(line) === i)
  // A refused format is followed by a bare "Invalid argument", which says nothing more.
  const refused = lines.find((line) => line.endsWith(' is not a video container'))
  return refused ?? (lines.slice(-2).join('; ') || `${tool} failed`)
}
