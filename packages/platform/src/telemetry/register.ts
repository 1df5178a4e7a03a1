/**
 * OpenTelemetry for a service, loaded before it so that instrumentation sees every module:
 *
 *   node --import @convoy/platform/telemetry/register src/main.ts
 *
 * Does nothing unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (and loads no SDK then); otherwise
 * starts the SDK as the standard `OTEL_*` variables configure it (see `telemetrySettings`), and
 * flushes what it holds when the process runs out of work (`beforeExit`). A service stopped by a
 * signal exits through `process.exit`, which skips that: the spans of its last seconds are lost
 * until the lifecycle flushes telemetry before exiting.
 */
import { telemetrySettings } from './settings.ts'

const settings = telemetrySettings(process.env, process.argv[1])
if (settings) {
  const { startSdk } = await import('./sdk.ts')
  const sdk = startSdk(settings)
  let flushed: Promise<void> | undefined
  const flush = () => (flushed ??= sdk.shutdown().catch(() => {}))
  process.once('beforeExit', () => void flush())
}
