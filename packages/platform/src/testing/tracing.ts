import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'

let registered: ReturnType<typeof register> | undefined

function register() {
  const exporter = new InMemorySpanExporter()
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  return {
    /** The spans ended since the last `reset`. */
    spans: () => exporter.getFinishedSpans(),
    /** Forgets the spans ended so far. */
    reset: () => exporter.reset(),
  }
}

/**
 * An OpenTelemetry SDK for the tests of this process, registered globally once, as a service's
 * would be (the API's tracers keep the provider they first found), with the W3C propagator and
 * the AsyncLocalStorage context manager, exporting each span to memory as it ends. Not exported
 * from the testing index: the SDK packages are dev dependencies.
 *
 * @example
 * const tracing = registerTestTracing()
 * beforeEach(() => tracing.reset())
 * assert.equal(tracing.spans()[0]!.name, 'process tracker.positions')
 */
export function registerTestTracing() {
  return (registered ??= register())
}
