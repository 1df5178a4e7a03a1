import { context, type Context } from '@opentelemetry/api'
import { inBatchSpan } from './tracing.ts'

/**
 * Gathers items handled one at a time into batches, group-commit style: `add` resolves once the
 * batch holding the item was flushed, and rejects if that failed. A batch is flushed when
 * `maxSize` items are waiting or the first has waited `maxWaitMs`; at most `maxConcurrent`
 * flushes run at once (default 1), and items that gather meanwhile go as soon as one ends.
 * Concurrent flushes must be safe to run together (the tracker's lock per vehicle makes them so).
 *
 * When a batch fails and `splitOnError(error)` says the error may be one item's fault (not, say,
 * a lost connection), each item is flushed alone, so one bad item fails alone.
 *
 * Each flush runs in a span of its own (`flush batch`, the root of a trace) linked to the span
 * each item was added in (a message's CONSUMER span): a write serves many traces at once.
 *
 * @example
 * const batcher = createBatcher({ maxSize: 500, maxWaitMs: 20, flush: (rows) => store(rows) })
 * handler: (delivery) => batcher.add(delivery.body)
 */
export function createBatcher<T>(options: {
  maxSize: number
  maxWaitMs: number
  maxConcurrent?: number
  flush: (items: T[]) => Promise<void>
  splitOnError?: (error: unknown) => boolean
}) {
  const maxConcurrent = options.maxConcurrent ?? 1
  type Entry = { item: T; context: Context; resolve: () => void; reject: (error: unknown) => void }
  const pending: Entry[] = []
  let timer: NodeJS.Timeout | undefined

  async function write(batch: Entry[]) {
    try {
      await inBatchSpan(
        'flush batch',
        batch.map((entry) => entry.context),
        () => options.flush(batch.map((entry) => entry.item)),
      )
      for (const entry of batch) entry.resolve()
    } catch (error) {
      if (batch.length === 1 || !options.splitOnError?.(error)) {
        for (const entry of batch) entry.reject(error)
        return
      }
      for (const entry of batch) await write([entry])
    }
  }

  let active = 0

  function flushAll() {
    clearTimeout(timer)
    timer = undefined
    while (pending.length > 0 && active < maxConcurrent) {
      active++
      void write(pending.splice(0, options.maxSize)).finally(() => {
        active--
        // Items that gathered during the flush have waited long enough: they go now.
        flushAll()
      })
    }
  }

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, context: context.active(), resolve, reject })
        if (active >= maxConcurrent) return
        if (pending.length >= options.maxSize) flushAll()
        else timer ??= setTimeout(flushAll, options.maxWaitMs)
      })
    },
  }
}
