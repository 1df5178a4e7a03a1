/**
 * The way from a service's lifecycle to the SDK that `register.ts` started, without importing
 * it: in an image the register module is a file of its own (`node --import ./register.js`) and
 * the lifecycle is bundled into `main.js`, so the two never share a module. They share this
 * process-wide symbol instead.
 */
const SHUTDOWN = Symbol.for('convoy.telemetry.shutdown')

type Holder = { [SHUTDOWN]?: () => Promise<void> }

/** Called by `register.ts` once its SDK runs: `shutdown` exports what the SDK holds, then stops it. */
export function setTelemetryShutdown(shutdown: () => Promise<void>): void {
  ;(globalThis as Holder)[SHUTDOWN] = shutdown
}

/**
 * Exports the spans not sent yet and stops the SDK, if one runs (tracing on); resolves at once
 * otherwise. Never rejects, and never waits longer than `timeoutMs`: a collector that is down
 * must not hold up a service that was asked to stop.
 */
export async function shutdownTelemetry(timeoutMs = 2_000): Promise<void> {
  const shutdown = (globalThis as Holder)[SHUTDOWN]
  if (!shutdown) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    shutdown().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
      timer.unref()
    }),
  ])
  clearTimeout(timer)
}
