import { FastifyOtelInstrumentation } from '@fastify/otel'
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { NodeSDK } from '@opentelemetry/sdk-node'
import type { TelemetrySettings } from './settings.ts'

/** What Kubernetes and Prometheus ask every few seconds, on the ops port: no trace is wanted. */
const OPERATIONAL = new Set(['/healthz', '/readyz', '/metrics'])
const operational = (url: string | undefined) => OPERATIONAL.has((url ?? '').split('?', 1)[0]!)

/**
 * Starts OpenTelemetry's Node SDK: traces only (metrics are Prometheus's, logs pino's, on
 * stdout), exported over OTLP/HTTP in `settings.protocol` to `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * sampled as `OTEL_TRACES_SAMPLER` says (the SDK's default: parent-based, always on), with the
 * http, undici, pg and Fastify instrumentations. Returns the SDK, to be shut down (flushed).
 */
export function startSdk(settings: TelemetrySettings): NodeSDK {
  const traceExporter =
    settings.protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtobufTraceExporter()
  const sdk = new NodeSDK({
    ...(settings.serviceName ? { serviceName: settings.serviceName } : {}),
    traceExporter,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => operational(request.url) }),
      new UndiciInstrumentation(),
      new PgInstrumentation(),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => operational(url),
      }),
    ],
  })
  sdk.start()
  return sdk
}
