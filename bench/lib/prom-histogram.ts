/**
 * A Prometheus histogram read from services' `/metrics` (summed over processes and over the label
 * sets that carry `label`), the difference of two readings, and a quantile the way
 * `histogram_quantile` computes it: linear within the bucket, so only as fine as the buckets.
 */
export interface HistogramReading {
  /** Cumulative count by upper bound (`le`). */
  buckets: Map<number, number>
  sum: number
  count: number
}

export async function readHistogram(
  serviceUrls: string[],
  name: string,
  label?: string,
): Promise<HistogramReading> {
  const reading: HistogramReading = { buckets: new Map(), sum: 0, count: 0 }
  for (const url of serviceUrls) {
    const text = await (await fetch(`${url}/metrics`)).text()
    for (const line of text.split('\n')) {
      if (label && !line.includes(label)) continue
      const value = Number(line.split(' ').pop())
      if (line.startsWith(`${name}_bucket{`)) {
        const le = /le="([^"]+)"/.exec(line)![1]!
        const bound = le === '+Inf' ? Infinity : Number(le)
        reading.buckets.set(bound, (reading.buckets.get(bound) ?? 0) + value)
      } else if (line.startsWith(`${name}_sum`)) reading.sum += value
      else if (line.startsWith(`${name}_count`)) reading.count += value
    }
  }
  return reading
}

export function difference(after: HistogramReading, before: HistogramReading): HistogramReading {
  return {
    buckets: new Map([...after.buckets].map(([le, n]) => [le, n - (before.buckets.get(le) ?? 0)])),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  }
}

/**
 * The `q` quantile (0–1), NaN without observations, and the bounds of the bucket it falls in:
 * all the histogram really knows.
 */
export function quantile(q: number, reading: HistogramReading): { value: number; bucket: [number, number] } {
  if (reading.count === 0) return { value: NaN, bucket: [NaN, NaN] }
  const rank = q * reading.count
  let lower = 0
  let below = 0
  for (const [le, cumulative] of [...reading.buckets].sort(([a], [b]) => a - b)) {
    if (cumulative >= rank) {
      if (le === Infinity) return { value: lower, bucket: [lower, le] }
      const value = lower + ((le - lower) * (rank - below)) / Math.max(1, cumulative - below)
      return { value, bucket: [lower, le] }
    }
    lower = le
    below = cumulative
  }
  return { value: lower, bucket: [lower, Infinity] }
}
