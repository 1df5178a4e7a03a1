import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listWindow, rowForKey, scrollToRow } from './list-window.ts'

/** Rows of 50 px under 6 px of padding. */
const GEOMETRY = { rowHeight: 50, top: 6 }

test('the window holds the rows in view and a margin on each side; the rest is space', () => {
  // 500 px from the top, 400 px high: rows 9.88 to 17.88 are in view, so 9 to 17.
  assert.deepEqual(listWindow(5000, GEOMETRY, 500, 400, 5), {
    first: 4,
    end: 23,
    before: 200,
    after: (5000 - 23) * 50,
  })
})

test('the window stops at the ends of the list', () => {
  assert.deepEqual(listWindow(5000, GEOMETRY, 0, 400, 5), { first: 0, end: 13, before: 0, after: 4987 * 50 })
  const bottom = 6 + 5000 * 50 + 6 - 400
  assert.deepEqual(listWindow(5000, GEOMETRY, bottom, 400, 5), {
    first: 4987,
    end: 5000,
    before: 4987 * 50,
    after: 0,
  })
  // Fewer rows than fit, a viewport not measured yet (0 px high), no rows at all.
  assert.deepEqual(listWindow(3, GEOMETRY, 0, 400, 5), { first: 0, end: 3, before: 0, after: 0 })
  assert.deepEqual(listWindow(300, GEOMETRY, 0, 0, 5), { first: 0, end: 5, before: 0, after: 295 * 50 })
  assert.deepEqual(listWindow(0, GEOMETRY, 0, 400, 5), { first: 0, end: 0, before: 0, after: 0 })
})

test('a list scrolled past its end (rows filtered away meanwhile) gives an empty window at its end', () => {
  assert.deepEqual(listWindow(10, GEOMETRY, 100_000, 400, 5), { first: 10, end: 10, before: 500, after: 0 })
})

test('scrolling to a row moves as little as it can, and not at all when it is in view', () => {
  // In view (rows 9.88–17.88 at 500 px): stays.
  assert.equal(scrollToRow(12, GEOMETRY, 500, 400), 500)
  // Above: its top at the top. Below: its bottom at the bottom.
  assert.equal(scrollToRow(3, GEOMETRY, 500, 400), 156)
  assert.equal(scrollToRow(40, GEOMETRY, 500, 400), 6 + 41 * 50 - 400)
  // Half hidden at the bottom (row 17 ends at 906 > 900): brought up by 6 px.
  assert.equal(scrollToRow(17, GEOMETRY, 500, 400), 506)
  // The first row, from far down: to its top (the padding stays above it).
  assert.equal(scrollToRow(0, GEOMETRY, 10_000, 400), 6)
})

test('the keys move between rows and stop at the ends', () => {
  assert.equal(rowForKey('ArrowDown', 4, 10, 8), 5)
  assert.equal(rowForKey('ArrowUp', 4, 10, 8), 3)
  assert.equal(rowForKey('ArrowUp', 0, 10, 8), 0)
  assert.equal(rowForKey('ArrowDown', 9, 10, 8), 9)
  // A page keeps one row of the page before in view.
  assert.equal(rowForKey('PageDown', 0, 5000, 8), 7)
  assert.equal(rowForKey('PageUp', 20, 5000, 8), 13)
  assert.equal(rowForKey('PageDown', 4995, 5000, 8), 4999)
  assert.equal(rowForKey('Home', 4000, 5000, 8), 0)
  assert.equal(rowForKey('End', 3, 5000, 8), 4999)
  assert.equal(rowForKey('PageDown', 0, 5000, 1), 1, 'a page of at least one row')
  assert.equal(rowForKey('Enter', 3, 5000, 8), null)
  assert.equal(rowForKey('ArrowDown', 0, 0, 8), null)
})
