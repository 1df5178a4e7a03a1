/**
 * Latencies in whole milliseconds, counted in one bucket per millisecond up to a minute: cheap to
 * add to at hundreds of thousands of samples a second, exact percentiles at 1 ms resolution, and
 * small enough to send between processes as (ms, count) pairs and merge.
 */
const MAX_MS = 60_000

export class LatencyHistogram {
  readonly counts = new Float64Array(MAX_MS + 1)
  total = 0
  sum = 0

  add(ms: number): void {
    const bucket = Math.min(MAX_MS, Math.max(0, Math.round(ms)))
    this.counts[bucket]!++
    this.total++
    this.sum += bucket
  }

  /** Non-empty buckets, for sending to another process. */
  toPairs(): Array<[number, number]> {
    const pairs: Array<[number, number]> = []
    this.counts.forEach((count, ms) => count > 0 && pairs.push([ms, count]))
    return pairs
  }

  merge(pairs: Array<[number, number]>): void {
    for (const [ms, count] of pairs) {
      this.counts[ms]! += count
      this.total += count
      this.sum += ms * count
    }
  }

  /** The smallest latency at or below which `p` percent of the samples fall. */
  percentile(p: number): number {
    const rank = Math.ceil((p / 100) * this.total)
    let seen = 0
    for (let ms = 0; ms <= MAX_MS; ms++) {
      seen += this.counts[ms]!
      if (seen >= rank && seen > 0) return ms
    }
    return NaN
  }

  summary() {
    return {
      samples: this.total,
      meanMs: this.total ? Math.round((10 * this.sum) / this.total) / 10 : NaN,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      p999Ms: this.percentile(99.9),
      maxMs: this.percentile(100),
    }
  }
}
