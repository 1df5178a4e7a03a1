/**
 * OpenTelemetry for a service, loaded before it so that instrumentation sees every module:
 *
 *   node --import @convoy/platform/telemetry/register src/main.ts
 *
 * Does nothing unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and loads no SDK then); otherwise
 * starts the SDK as the standard `OTEL_*` variables configure it (see `telemetrySettings`). What
 * the SDK holds is flushed when the process runs out of work (`beforeExit`), and, for a service
 * stopped by a signal (which exits through `process.exit`, skipping `beforeExit`), by the
 * lifecycle's `shutdownTelemetry` before it exits.
 */
import { telemetrySettings } from './settings.ts'
import { setTelemetryShutdown } from './shutdown.ts'

const settings = telemetrySettings(process.env, process.argv[1])
if (settings) {
  const { startSdk } = await import('./sdk.ts')
  const sdk = startSdk(settings)
  let flushed: Promise<void> | undefined
  const flush = () => (flushed ??= sdk.shutdown().catch(() => {}))
  process.once('beforeExit', () => void flush())
  setTelemetryShutdown(flush)
}
