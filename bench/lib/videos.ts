/**
 * Videos for the media benchmark. `makeTestVideo` (the platform's) encodes a test pattern that
 * compresses to almost nothing (a 30 s 720p clip is 1.3 MB); a dashcam records 4–8 Mbit/s. So
 * these clips carry noise and are encoded at a fixed bitrate, and a large file is a clip's
 * streams copied end to end (no re-encoding: seconds, not minutes).
 */
import { stat } from 'node:fs/promises'
import { run } from '@convoy/platform/media'

async function ffmpeg(args: string[], file: string): Promise<void> {
  const result = await run('ffmpeg', ['-nostdin', '-v', 'error', ...args, '-y', file], { timeoutMs: 300_000 })
  if (result.code !== 0) throw new Error(`ffmpeg could not make ${file}: ${result.stderr}`)
}

/** H.264 at `mbps` Mbit/s + AAC (a 440 Hz tone) in MP4, like a dashcam's recording. */
export async function makeDashcamClip(
  file: string,
  options: { seconds: number; width: number; height: number; mbps: number },
): Promise<void> {
  const rate = `${options.mbps}M`
  // prettier-ignore
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${options.width}x${options.height}:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(options.seconds), '-vf', 'noise=alls=30:allf=t',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', rate, '-maxrate', rate, '-bufsize', `${2 * options.mbps}M`,
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart',
  ], file)
}

/** `source` played `times` times in one file, streams copied; its size in bytes. */
export async function loopClip(source: string, file: string, times: number): Promise<number> {
  // prettier-ignore
  await ffmpeg(['-stream_loop', String(times - 1), '-i', source, '-c', 'copy', '-movflags', '+faststart'], file)
  return (await stat(file)).size
}
