import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One exported span, flattened from OTLP/JSON: what a trace store would show of it. */
export interface ReceivedSpan {
  /** The resource's `service.name`: the process's service. */
  service: string
  /** The instrumentation scope that made it (`@opentelemetry/instrumentation-pg`…). */
  scope: string
  name: string
  traceId: string
  spanId: string
  /** Empty for the root of a trace. */
  parentSpanId: string
  /** OTLP's numbers: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  attributes: Record<string, unknown>
  links: Array<{ traceId: string; spanId: string }>
}

export interface OtlpReceiver {
  /** For `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  url: string
  /** Every request received, as it came (none kept with `keep: false`). */
  requests: Array<{ url?: string; headers: IncomingHttpHeaders; body: Buffer }>
  /** How many exports came, and their bytes (kept or not). */
  received: { requests: number; bytes: number }
  /** The spans of every OTLP/JSON request so far. */
  spans(): ReceivedSpan[]
  close(): Promise<void>
}

type AnyValue = {
  stringValue?: string
  intValue?: string | number
  boolValue?: boolean
  doubleValue?: number
  arrayValue?: { values?: AnyValue[] }
}
type KeyValue = { key: string; value: AnyValue }
type ExportRequest = {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] }
    scopeSpans?: Array<{
      scope?: { name?: string }
      spans?: Array<{
        name: string
        traceId: string
        spanId: string
        parentSpanId?: string
        kind: number
        attributes?: KeyValue[]
        links?: Array<{ traceId: string; spanId: string }>
      }>
    }>
  }>
}

const valueOf = (value: AnyValue): unknown =>
  value.arrayValue
    ? (value.arrayValue.values ?? []).map(valueOf)
    : (value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue)
const attributesOf = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]))

/**
 * An OTLP/HTTP collector on 127.0.0.1 for a test: it answers every export with success and keeps
 * what it got, so a test sees the spans a process really exported (its protocol, its resource,
 * the parent each span names), not what an in-memory exporter was handed.
 *
 * @example
 * const receiver = await startOtlpReceiver()
 * // start a process with OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL=http/json
 * const query = await eventually(() => receiver.spans().find((s) => s.name.startsWith('pg.query')), 'a query')
 *
 * With `keep: false` it only counts them: a sink for a benchmark's millions of spans.
 */
export async function startOtlpReceiver(options: { keep?: boolean } = {}): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = []
  const received = { requests: 0, bytes: 0 }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      received.requests++
      received.bytes += body.length
      if (options.keep !== false) requests.push({ url: request.url, headers: request.headers, body })
      const json = request.headers['content-type'] === 'application/json'
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
      response.end(json ? '{}' : '')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    received,
    spans: () =>
      requests
        .filter((r) => r.url === '/v1/traces' && r.headers['content-type'] === 'application/json')
        .flatMap((r) => (JSON.parse(r.body.toString()) as ExportRequest).resourceSpans ?? [])
        .flatMap((resource) => {
          const service = String(attributesOf(resource.resource?.attributes)['service.name'])
          return (resource.scopeSpans ?? []).flatMap((scope) =>
            (scope.spans ?? []).map((span) => ({
              service,
              scope: scope.scope?.name ?? '',
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
            })),
          )
        }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
