/**
 * Media tools shared by the services that handle dashcam videos: `probe` (is it really a video,
 * how long, with sound?) for `media` when a file is uploaded, `extractMp3` for `converter`, and
 * `run`, the time-limited child process both rest on; `checkMediaTools` tells whether ffmpeg and
 * ffprobe run here (on the PATH, or where the service's configuration says).
 */
export { ConversionFailedError, ConversionTimeoutError, extractMp3, probe } from './ffmpeg.ts'
export { run, type RunOptions, type RunResult } from './run.ts'
export { checkMediaTools, type MediaTools } from './tools.ts'
