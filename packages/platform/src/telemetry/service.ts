import { context, trace, type Context } from '@opentelemetry/api'

/**
 * Which service a span belongs to, for processes that run several (the embedded topology): its
 * resource's `service.name` is the process's, so each span also carries `convoy.service`.
 */
export const SERVICE_ATTRIBUTE = 'convoy.service'

/** A global symbol, not `createContextKey`: the register module and a bundle share no module. */
const SERVICE = Symbol.for('convoy.service')

/**
 * Runs `work` (a service's start) as `service`: what it starts (its servers, consumers, timers)
 * runs in a context that says so, and the spans begun there carry `convoy.service`. Without an
 * SDK (tracing off) the context is not propagated and this only calls `work`.
 */
export function inService<R>(service: string, work: () => R): R {
  return context.with(context.active().setValue(SERVICE, service), work)
}

/**
 * The service a span begun now with `parent` belongs to: its parent's, when the parent is a span
 * of this process; else the service whose context is active (a server's request, a consumer's
 * message, which start traces of their own); else that of the span active now.
 */
export function serviceOf(parent: Context): string | undefined {
  const attributeOf = (ctx: Context) =>
    (trace.getSpan(ctx) as { attributes?: Record<string, unknown> } | undefined)?.attributes?.[
      SERVICE_ATTRIBUTE
    ]
  const service = attributeOf(parent) ?? context.active().getValue(SERVICE) ?? attributeOf(context.active())
  return typeof service === 'string' ? service : undefined
}
