/**
 * Gathers items handled one at a time into batches, group-commit style: `add` resolves once the
 * batch holding the item was flushed, and rejects if that failed. An idle batcher flushes when
 * `maxSize` items are waiting or the first has waited `maxWaitMs`; while a flush runs, new items
 * gather and go in the next flush as soon as it ends. One flush at a time, so batches never race.
 *
 * When a batch fails and `splitOnError(error)` says the error may be one item's fault (not, say,
 * a lost connection), each item is flushed alone, so one bad item fails alone.
 *
 * @example
 * const batcher = createBatcher({ maxSize: 500, maxWaitMs: 20, flush: (rows) => store(rows) })
 * handler: (delivery) => batcher.add(delivery.body)
 */
export function createBatcher<T>(options: {
  maxSize: number
  maxWaitMs: number
  flush: (items: T[]) => Promise<void>
  splitOnError?: (error: unknown) => boolean
}) {
  type Entry = { item: T; resolve: () => void; reject: (error: unknown) => void }
  const pending: Entry[] = []
  let timer: NodeJS.Timeout | undefined
  let flushing = false

  async function write(batch: Entry[]) {
    try {
      await options.flush(batch.map((entry) => entry.item))
      for (const entry of batch) entry.resolve()
    } catch (error) {
      if (batch.length === 1 || !options.splitOnError?.(error)) {
        for (const entry of batch) entry.reject(error)
        return
      }
      for (const entry of batch) await write([entry])
    }
  }

  async function flushAll() {
    clearTimeout(timer)
    timer = undefined
    if (flushing) return
    flushing = true
    try {
      while (pending.length > 0) await write(pending.splice(0, options.maxSize))
    } finally {
      flushing = false
    }
  }

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject })
        if (flushing) return
        if (pending.length >= options.maxSize) void flushAll()
        else timer ??= setTimeout(() => void flushAll(), options.maxWaitMs)
      })
    },
  }
}
