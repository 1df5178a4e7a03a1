import { run } from '../media/run.ts'

export interface TestVideoOptions {
  seconds?: number
  /** A 440 Hz tone as the audio track (default); false for a video without sound. */
  audio?: boolean
  width?: number
  height?: number
  /** Frames per second (default 25); 1 makes a long video quickly. */
  fps?: number
  /**
   * The audio's codec: `aac` (default, as cameras record it) or `alac` (lossless, made about five
   * times faster: a long video whose conversion keeps ffmpeg busy for a while, made in a moment).
   */
  audioCodec?: 'aac' | 'alac'
}

/**
 * Writes a small real video (H.264 + AAC in MP4, ffmpeg's test pattern and a tone) to `file`,
 * for tests of the media pipeline. Needs ffmpeg on the PATH, as the services do.
 *
 * @example
 * await makeTestVideo(path.join(dir, 'clip.mp4'), { seconds: 2 })
 */
export async function makeTestVideo(file: string, options: TestVideoOptions = {}): Promise<void> {
  const { seconds = 2, audio = true, width = 320, height = 240, fps = 25, audioCodec = 'aac' } = options
  // prettier-ignore
  const args = [
    '-nostdin', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`,
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440'] : []),
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    ...(audio ? ['-c:a', audioCodec] : []),
    '-movflags', '+faststart', '-y', file,
  ]
  const result = await run('ffmpeg', args, { timeoutMs: 120_000 })
  if (result.code !== 0) throw new Error(`ffmpeg could not make ${file}: ${result.stderr}`)
}
