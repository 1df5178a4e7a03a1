/**
 * Everything a benchmark starts (processes, databases, vhosts, nginx) registers how to undo it
 * here; `runBench` undoes it all in reverse order when the benchmark ends, fails or is interrupted.
 */
type Undo = { what: string; run: () => unknown }

const undos: Undo[] = []

export function onCleanup(what: string, run: () => unknown): void {
  undos.push({ what, run })
}

export async function cleanupAll(): Promise<void> {
  while (undos.length > 0) {
    const undo = undos.pop()!
    try {
      await undo.run()
    } catch (error) {
      console.error(`cleanup of ${undo.what} failed:`, error)
    }
  }
}

/** Runs a benchmark's main function, then cleans up, on success, failure, Ctrl-C or SIGTERM. */
export function runBench(main: () => Promise<void>): void {
  let interrupted = false
  const interrupt = (signal: string) => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: cleaning up`)
    void cleanupAll().finally(() => process.exit(130))
  }
  process.once('SIGINT', () => interrupt('SIGINT'))
  process.once('SIGTERM', () => interrupt('SIGTERM'))
  main().then(
    async () => {
      await cleanupAll()
      process.exit(0)
    },
    async (error: unknown) => {
      console.error(error)
      await cleanupAll()
      process.exit(1)
    },
  )
}
