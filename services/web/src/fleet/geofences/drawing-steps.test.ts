import assert from 'node:assert/strict'
import { test } from 'node:test'
import { centreActionLabel, drawingHint, mayFinishPolygon, nextStep } from './drawing-steps.ts'

const at = (x: number, y: number) => ({ x, y })

test("a circle's first point is its centre, the next its edge; its centre again is ignored", () => {
  assert.equal(nextStep('circle', [], at(100, 100)), 'add')
  assert.equal(nextStep('circle', [at(100, 100)], at(160, 100)), 'finish')
  assert.equal(nextStep('circle', [at(100, 100)], at(101, 101)), 'ignore')
})

test("a polygon's corners are added; the first again closes it from 3 corners; the last again is ignored", () => {
  const triangle = [at(0, 0), at(100, 0), at(50, 80)]
  assert.equal(nextStep('polygon', [], at(0, 0)), 'add')
  assert.equal(nextStep('polygon', triangle.slice(0, 2), at(50, 80)), 'add')
  // Within a click's slack of the first corner: finished.
  assert.equal(nextStep('polygon', triangle, at(6, 6)), 'finish')
  // With 2 corners, the first again is a corner (a polygon needs 3).
  assert.equal(nextStep('polygon', triangle.slice(0, 2), at(50, 0)), 'add')
  assert.equal(nextStep('polygon', triangle.slice(0, 2), at(101, 1)), 'ignore')
  // Space pressed again without moving the map: the same corner is not added twice.
  assert.equal(nextStep('polygon', triangle, at(50, 80)), 'ignore')
  assert.equal(nextStep('polygon', triangle, at(50, 90)), 'add')
})

test('a polygon may be finished from 3 corners', () => {
  assert.equal(mayFinishPolygon(2), false)
  assert.equal(mayFinishPolygon(3), true)
  assert.equal(mayFinishPolygon(12), true)
})

test("the crosshair's button says what the next point is", () => {
  assert.equal(centreActionLabel('circle', 0), 'Put the centre at the crosshair')
  assert.equal(centreActionLabel('circle', 1), 'Put the edge at the crosshair')
  assert.equal(centreActionLabel('polygon', 0), 'Add a corner at the crosshair')
  assert.equal(centreActionLabel('polygon', 4), 'Add a corner at the crosshair')
})

test('the hint tells both ways of drawing, then counts the corners and what is still missing', () => {
  assert.equal(
    drawingHint('circle', 0),
    'Click the centre on the map, then a point of its edge, or move the map with the arrow keys and press Space to use the place under the crosshair. Escape gives up.',
  )
  assert.match(drawingHint('circle', 1), /^Centre set\. Now click a point of its edge, or move the crosshair/)
  assert.match(
    drawingHint('polygon', 0),
    /^Click each corner on the map, or move the map with the arrow keys/,
  )
  assert.match(drawingHint('polygon', 0), /press Enter to finish\. Escape gives up\.$/)
  assert.equal(
    drawingHint('polygon', 1),
    '1 corner so far. Add at least 2 more. Backspace takes the last back; Escape gives up.',
  )
  assert.match(drawingHint('polygon', 2), /^2 corners so far\. Add at least 1 more\./)
  assert.equal(
    drawingHint('polygon', 3),
    '3 corners so far. Add more, or finish: click the first corner again or press Enter. Backspace takes the last back; Escape gives up.',
  )
})
