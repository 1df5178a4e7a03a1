import { FastifyOtelInstrumentation } from '@fastify/otel'
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { BatchSpanProcessor, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace'
import type { Context } from '@opentelemetry/api'
import { SERVICE_ATTRIBUTE, serviceOf } from './service.ts'
import type { TelemetrySettings } from './settings.ts'

/** What Kubernetes and Prometheus ask every few seconds, on the ops port: no trace is wanted. */
const OPERATIONAL = new Set(['/healthz', '/readyz', '/metrics'])
const operational = (url: string | undefined) => OPERATIONAL.has((url ?? '').split('?', 1)[0]!)

/** Stamps each span with its service (`convoy.service`), where a process runs several. */
const serviceAttribution: SpanProcessor = {
  onStart(span: Span, parent: Context) {
    const service = serviceOf(parent)
    if (service) span.setAttribute(SERVICE_ATTRIBUTE, service)
  },
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
}

/**
 * Starts OpenTelemetry's Node SDK: traces only (metrics are Prometheus's, logs pino's, on
 * stdout), exported over OTLP/HTTP in `settings.protocol` to `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * sampled as `OTEL_TRACES_SAMPLER` says (the SDK's default: parent-based, always on), batched as
 * `OTEL_BSP_*` say, with the http, undici, pg and Fastify instrumentations; each span started in
 * a service's context (`inService`) carries its name. Returns the SDK, to be shut down (flushed).
 */
export function startSdk(settings: TelemetrySettings): NodeSDK {
  const traceExporter =
    settings.protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtobufTraceExporter()
  const sdk = new NodeSDK({
    ...(settings.serviceName ? { serviceName: settings.serviceName } : {}),
    spanProcessors: [
      serviceAttribution,
      new BatchSpanProcessor({ exporter: traceExporter, ...settings.batch }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => operational(request.url) }),
      new UndiciInstrumentation(),
      new PgInstrumentation(),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => operational(url),
        // The request's span and its handler's, not a span per lifecycle hook: the platform's
        // plugins add a dozen hooks to every request, whose spans cost more than they tell
        // (docs/benchmarks.md, 11).
        instrumentHooks: false,
      }),
    ],
  })
  sdk.start()
  return sdk
}
