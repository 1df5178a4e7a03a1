/**
 * Tracing for a benchmark's services, as `--tracing=off,0.1,1` asks: off (what every service runs
 * when no OTLP endpoint is set), or OpenTelemetry loaded as the images and the stack load it
 * (`node --import` of its bootstrap), exporting over OTLP/HTTP (protobuf, the default) the given
 * share of the traces that start in the service (parent-based: a request's later hops follow the
 * decision of the service where it started) to a sink on 127.0.0.1 that counts and drops them.
 */
import { fileURLToPath } from 'node:url'
import { startOtlpReceiver, type OtlpReceiver } from '@convoy/platform/testing'
import { onCleanup } from './cleanup.ts'

export type Tracing = 'off' | number

const REGISTER = fileURLToPath(import.meta.resolve('@convoy/platform/telemetry/register'))

/** The `--tracing` list: `off`, or shares of traces sampled between 0 and 1. */
export function tracingList(list: string): Tracing[] {
  return list.split(',').map((entry) => {
    if (entry === 'off') return 'off'
    const ratio = Number(entry)
    if (!(ratio > 0 && ratio <= 1))
      throw new Error(`--tracing: ${entry} is neither off nor a share in (0, 1]`)
    return ratio
  })
}

export const tracingLabel = (tracing: Tracing) =>
  tracing === 'off' ? 'tracing off' : `tracing ${Math.round(tracing * 100)}%`

let sink: Promise<OtlpReceiver> | undefined

/** The sink every traced service of this run exports to: what it received so far. */
export async function spansReceived(): Promise<OtlpReceiver['received']> {
  return sink ? (await sink).received : { requests: 0, bytes: 0 }
}

/** How to start a service with this tracing: its Node options and environment. */
export async function tracedProcess(
  tracing: Tracing,
): Promise<{ nodeArgs: string[]; env: Record<string, string> }> {
  if (tracing === 'off') return { nodeArgs: [], env: {} }
  sink ??= startOtlpReceiver({ keep: false }).then((receiver) => {
    onCleanup('span sink', () => receiver.close())
    return receiver
  })
  return {
    nodeArgs: ['--import', REGISTER],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: (await sink).url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(tracing),
    },
  }
}
