import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createBatcher } from './batcher.ts'

/** A flush the test releases by hand, recording what each call got and how many ran at once. */
function gatedFlush(fail?: (items: number[]) => boolean) {
  const calls: number[][] = []
  const gates: Array<() => void> = []
  let running = 0
  let peak = 0
  const flush = async (items: number[]) => {
    calls.push(items)
    running++
    peak = Math.max(peak, running)
    await new Promise<void>((resolve) => gates.push(resolve))
    running--
    if (fail?.(items)) throw new Error(`bad batch ${items.join(',')}`)
  }
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  return { flush, calls, gates, releaseAll, peak: () => peak }
}

test('add resolves only after the flush holding the item has finished', async () => {
  const gated = gatedFlush()
  const batcher = createBatcher({ maxSize: 2, maxWaitMs: 1000, flush: gated.flush })
  let done = false
  const added = Promise.all([batcher.add(1), batcher.add(2)]).then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(gated.calls, [[1, 2]])
  assert.equal(done, false, 'not resolved while the flush is running')
  await gated.releaseAll()
  await added
  assert.equal(done, true)
})

test('one flush at a time: items added meanwhile go in the next batch', async () => {
  const gated = gatedFlush()
  const batcher = createBatcher({ maxSize: 2, maxWaitMs: 1000, flush: gated.flush })
  const all = [1, 2, 3, 4, 5].map((n) => batcher.add(n))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(gated.calls, [[1, 2]])
  while (gated.calls.length < 3 || gated.gates.length > 0) await gated.releaseAll()
  await Promise.all(all)
  assert.deepEqual(gated.calls, [[1, 2], [3, 4], [5]])
  assert.equal(gated.peak(), 1)
})

test('with maxConcurrent, that many flushes run at once and no more', async () => {
  const gated = gatedFlush()
  const batcher = createBatcher({ maxSize: 2, maxWaitMs: 1000, maxConcurrent: 2, flush: gated.flush })
  const all = [1, 2, 3, 4, 5, 6, 7].map((n) => batcher.add(n))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(gated.calls, [
    [1, 2],
    [3, 4],
  ])
  while (gated.calls.length < 4 || gated.gates.length > 0) await gated.releaseAll()
  await Promise.all(all)
  assert.equal(gated.peak(), 2)
  assert.deepEqual(gated.calls.flat().sort(), [1, 2, 3, 4, 5, 6, 7])
})

test('a failing batch is split so that only the bad item fails', async () => {
  const gated = gatedFlush((items) => items.includes(3))
  const batcher = createBatcher({ maxSize: 4, maxWaitMs: 1000, flush: gated.flush, splitOnError: () => true })
  const results = [1, 2, 3, 4].map((n) =>
    batcher.add(n).then(
      () => 'ok',
      () => 'failed',
    ),
  )
  while (gated.gates.length > 0 || gated.calls.length < 5) await gated.releaseAll()
  assert.deepEqual(await Promise.all(results), ['ok', 'ok', 'failed', 'ok'])
  assert.deepEqual(gated.calls, [[1, 2, 3, 4], [1], [2], [3], [4]])
})

test('without splitOnError a failing batch fails every item in it', async () => {
  const gated = gatedFlush(() => true)
  const batcher = createBatcher({ maxSize: 2, maxWaitMs: 1000, flush: gated.flush })
  const results = [1, 2].map((n) =>
    batcher.add(n).then(
      () => 'ok',
      () => 'failed',
    ),
  )
  await gated.releaseAll()
  assert.deepEqual(await Promise.all(results), ['failed', 'failed'])
})
