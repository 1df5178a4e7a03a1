/**
 * Gathers items handled one at a time into batches: `add` resolves once the batch holding the
 * item was flushed, and rejects if that flush failed. A batch flushes when it reaches
 * `maxSize` or when its first item has waited `maxWaitMs`. Consumers use it to write many
 * messages in one transaction and still ack each one only after its write.
 *
 * @example
 * const batcher = createBatcher({ maxSize: 500, maxWaitMs: 20, flush: (rows) => store(rows) })
 * handler: (delivery) => batcher.add(delivery.body)
 */
export function createBatcher<T>(options: {
  maxSize: number
  maxWaitMs: number
  flush: (items: T[]) => Promise<void>
}) {
  let items: T[] = []
  let waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []
  let timer: NodeJS.Timeout | undefined

  function flushNow() {
    clearTimeout(timer)
    timer = undefined
    const batch = items
    const settle = waiters
    items = []
    waiters = []
    options.flush(batch).then(
      () => settle.forEach((w) => w.resolve()),
      (error: unknown) => settle.forEach((w) => w.reject(error)),
    )
  }

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        items.push(item)
        waiters.push({ resolve, reject })
        if (items.length >= options.maxSize) flushNow()
        else timer ??= setTimeout(flushNow, options.maxWaitMs)
      })
    },
  }
}
