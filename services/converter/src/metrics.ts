import { Counter, Histogram, type Registry } from 'prom-client'

export type Outcome = 'converted' | 'failed'

/** How jobs end and how long they take: `conversions_total` and `conversion_duration_seconds`. */
export function conversionMetrics(registry: Registry) {
  const duration = new Histogram({
    name: 'conversion_duration_seconds',
    help: 'Time of the attempt that ended a job (download, ffmpeg, upload), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  })
  const total = new Counter({
    name: 'conversions_total',
    help: 'Jobs ended, by outcome: converted, or failed for good',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  // Both series exist from the start, so a rate over them is defined before the first job ends.
  for (const outcome of ['converted', 'failed'] as const) {
    duration.zero({ outcome })
    total.inc({ outcome }, 0)
  }
  return {
    record(outcome: Outcome, seconds: number) {
      duration.observe({ outcome }, seconds)
      total.inc({ outcome })
    },
  }
}
export type ConversionMetrics = ReturnType<typeof conversionMetrics>
