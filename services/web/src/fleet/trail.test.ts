import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TRAIL_GAP_MS, TRAIL_WINDOW_MS, TrailPath } from './trail.ts'

const START = Date.UTC(2024, 4, 1, 12, 0, 0)
/** A position `seconds` after START, at a latitude that tells the points apart. */
const at = (seconds: number) => ({
  lat: 53 + seconds / 1e4,
  lng: -1.5,
  timestamp: new Date(START + seconds * 1000).toISOString(),
})
const lats = (path: TrailPath) => path.latLngs().map((segment) => segment.map(([lat]) => lat))
const every = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => at(from + i * step))

test('adds positions in order and ignores ones not newer than the end', () => {
  const path = new TrailPath()
  assert.equal(path.add([at(0), at(1), at(1), at(2)]), true)
  assert.equal(path.add([at(2), at(1)]), false, 'nothing new')
  assert.deepEqual(lats(path), [[at(0).lat, at(1).lat, at(2).lat]])
  assert.equal(path.size, 3)
})

test('keeps only the last 15 minutes as new points arrive', () => {
  const path = new TrailPath()
  path.add(every(0, 600, 10)) // 0 … 10 min
  assert.equal(path.size, 61)
  path.add(every(610, 1200, 10)) // … 20 min: everything before 5 min is too old
  const kept = lats(path).flat()
  assert.equal(kept[0], at(1200 - TRAIL_WINDOW_MS / 1000).lat, 'starts exactly 15 minutes back')
  assert.equal(kept.at(-1), at(1200).lat)
  assert.equal(path.size, 91)
  path.add([at(1210)])
  assert.equal(lats(path).flat()[0], at(310).lat, 'trimmed again by the next point')
})

test('a gap of more than a minute starts a new segment', () => {
  const path = new TrailPath()
  const gap = TRAIL_GAP_MS / 1000
  path.add([at(0), at(10), at(10 + gap)]) // exactly the limit: still one line
  path.add([at(20 + 2 * gap), at(30 + 2 * gap)]) // longer: a restart
  assert.deepEqual(lats(path), [
    [at(0).lat, at(10).lat, at(10 + gap).lat],
    [at(20 + 2 * gap).lat, at(30 + 2 * gap).lat],
  ])
})

test('segments that fall out of the window are dropped whole', () => {
  const path = new TrailPath()
  path.add([at(0), at(10)])
  path.add([at(400), at(410)])
  path.add([at(1000), at(1010)])
  assert.deepEqual(lats(path), [
    [at(400).lat, at(410).lat],
    [at(1000).lat, at(1010).lat],
  ])
  path.add([at(1320)]) // the window now starts at 420 s: the middle segment is gone too
  assert.deepEqual(lats(path), [[at(1000).lat, at(1010).lat], [at(1320).lat]])
  assert.equal(path.size, 3)
})

test('clear empties the trail, and it starts again from any time', () => {
  const path = new TrailPath()
  path.add([at(100), at(101)])
  path.clear()
  assert.deepEqual(path.latLngs(), [])
  assert.equal(path.size, 0)
  assert.equal(path.add([at(5)]), true)
  assert.deepEqual(lats(path), [[at(5).lat]])
})
