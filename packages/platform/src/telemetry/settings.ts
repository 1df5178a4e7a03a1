import { readFileSync } from 'node:fs'
import path from 'node:path'

/** The OTLP encodings a service exports traces in (gRPC is not installed). */
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const

export interface TelemetrySettings {
  protocol: (typeof PROTOCOLS)[number]
  /** Given when `OTEL_SERVICE_NAME` is not (the SDK reads that one itself). */
  serviceName?: string
  /** The batch span processor's `OTEL_BSP_*` settings, those given (else the SDK's defaults). */
  batch: {
    scheduledDelayMillis?: number
    exportTimeoutMillis?: number
    maxQueueSize?: number
    maxExportBatchSize?: number
  }
}

const BATCH = {
  scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT',
  maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
} as const

/**
 * What tracing a process is started with, from the standard `OTEL_*` variables: nothing (off)
 * unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The exporter and the SDK read the rest themselves
 * (the endpoint, headers, `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG`), except the batch
 * processor's `OTEL_BSP_*`, read here because Convoy builds that processor. The service's name,
 * unless `OTEL_SERVICE_NAME` gives one, is that of the package whose script the process runs
 * (`@convoy/position-tracker` → `position-tracker`).
 */
export function telemetrySettings(
  env: Readonly<Record<string, string | undefined>>,
  mainScript: string | undefined,
): TelemetrySettings | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${PROTOCOLS.join(', ')}, not ${protocol}`)
  const batch: TelemetrySettings['batch'] = {}
  for (const [option, name] of Object.entries(BATCH) as Array<[keyof typeof BATCH, string]>) {
    const value = env[name]
    if (value === undefined || value === '') continue
    if (!/^\d+$/.test(value))
      throw new Error(`${name} must be a whole number of milliseconds or spans, not ${value}`)
    batch[option] = Number(value)
  }
  return {
    protocol: protocol as TelemetrySettings['protocol'],
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: packageNameOf(mainScript) ?? 'convoy' }),
    batch,
  }
}

/** The unscoped name of the nearest package.json above `file`. */
function packageNameOf(file: string | undefined): string | undefined {
  if (!file) return undefined
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    try {
      const { name } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }
      if (typeof name === 'string') return name.replace(/^@[^/]+\//, '')
    } catch {
      // no package.json here (or not a readable one): look further up
    }
    if (path.dirname(dir) === dir) return undefined
  }
}
