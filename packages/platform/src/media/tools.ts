import type { Logger } from '../log/index.ts'
import { run } from './run.ts'

/** How long an answer about the tools holds before they are asked again (installing them needs no restart). */
const RECHECK_MS = 5_000

export interface MediaTools {
  /**
   * `true`, or why the tools do not run, in words a first admin can act on ("ffmpeg is not
   * installed", "ffprobe cannot run: …"): for `/readyz`, and for a consumer's `dependenciesReady`.
   * Each answer is kept for 5 s, so it can be asked as often as one likes and an install is seen
   * soon after, without a restart.
   */
  check: () => Promise<true | string>
  /** What to tell whoever started the service when the tools did not run at start. */
  notice?: string
}

/**
 * Checks at start that the media tools a service needs run here, e.g.
 * `{ ffprobe: config.FFPROBE_PATH }` (each a name on the PATH or a path, run with `-version`):
 * logs a warning and prepares the notice for whoever started the service when they do not, saying
 * what is refused `meanwhile`, and gives the check to ask again later.
 *
 * @example
 * const tools = await checkMediaTools({ ffprobe: config.FFPROBE_PATH }, { log, meanwhile: 'uploads are refused' })
 * const running = await serve({ …, readiness: { ffmpeg: tools.check } })
 * return { ...running, notice: tools.notice }
 */
export async function checkMediaTools(
  tools: Record<string, string>,
  { log, meanwhile }: { log: Logger; meanwhile: string },
): Promise<MediaTools> {
  let answer: { at: number; value: Promise<true | string> } | undefined
  const recheck = () => {
    if (!answer || performance.now() - answer.at > RECHECK_MS) {
      answer = { at: performance.now(), value: check(tools) }
    }
    return answer.value
  }
  const problem = await recheck()
  if (problem === true) return { check: recheck }
  log.warn({ problem }, `${meanwhile}: a media tool does not run`)
  return { check: recheck, notice: mediaToolsNotice(problem, meanwhile) }
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

/** What the first admin is told: what is wrong, what is refused meanwhile, how to install it. */
function mediaToolsNotice(problem: string, meanwhile: string): string {
  const until = problem.includes('cannot run') ? 'until it runs' : 'until it is'
  return `${problem}: ${meanwhile} ${until} (apt-get install ffmpeg / brew install ffmpeg).`
}
