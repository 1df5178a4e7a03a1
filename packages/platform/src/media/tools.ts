import { run } from './run.ts'

/** How long an answer about the tools holds before they are asked again (installing them needs no restart). */
const RECHECK_MS = 5_000

/**
 * Whether the media tools a service needs run here, e.g. `{ ffprobe: config.FFPROBE_PATH }` (each
 * a name on the PATH or a path): `true`, or why not, in words a first admin can act on ("ffmpeg
 * is not installed", "ffprobe cannot run: …"). Each tool is run once with `-version`; the answer
 * is kept for 5 s, so `/readyz` can ask as often as it likes and an install is seen soon after.
 *
 * @example
 * const tools = mediaTools({ ffmpeg: config.FFMPEG_PATH, ffprobe: config.FFPROBE_PATH })
 * const problem = await tools() // true, or "ffmpeg is not installed"
 * serve({ …, readiness: { ffmpeg: tools } })
 */
export function mediaTools(tools: Record<string, string>): () => Promise<true | string> {
  let answer: { at: number; value: Promise<true | string> } | undefined
  return () => {
    if (!answer || performance.now() - answer.at > RECHECK_MS) {
      answer = { at: performance.now(), value: check(tools) }
    }
    return answer.value
  }
}

async function check(tools: Record<string, string>): Promise<true | string> {
  for (const [name, command] of Object.entries(tools)) {
    const missing = `${name} is not installed${command === name ? '' : ` (not found: ${command})`}`
    const result = await run(command, ['-version'], { timeoutMs: 10_000, maxStdoutBytes: 1024 }).catch(
      (error: { code?: string }) => error,
    )
    if (!('stdout' in result))
      return result.code === 'ENOENT' ? missing : `${name} cannot run: ${result.code}`
    if (result.code !== 0) {
      const why = result.stderr.trim().split('\n').pop() || `exit code ${result.code ?? result.signal}`
      return `${name} cannot run: ${why}`
    }
  }
  return true
}

/**
 * What a service tells whoever started it when its media tools do not run (`mediaTools` said
 * why): what is refused meanwhile, and how to install them.
 *
 * @example
 * mediaToolsNotice('ffmpeg is not installed', 'videos cannot be converted')
 * // → "ffmpeg is not installed: videos cannot be converted until it is (apt-get install ffmpeg / brew install ffmpeg)."
 */
export function mediaToolsNotice(problem: string, meanwhile: string): string {
  const until = problem.includes('cannot run') ? 'until it runs' : 'until it is'
  return `${problem}: ${meanwhile} ${until} (apt-get install ffmpeg / brew install ffmpeg).`
}
