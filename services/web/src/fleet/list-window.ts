/**
 * The windowing maths of a long list of rows of one fixed height: which rows a scroll position
 * shows, and where to scroll to show a row. Pure, so it is tested without a browser.
 */

/** Where the rows are: their height, and the list's own space above the first one (its padding). */
export interface RowGeometry {
  rowHeight: number
  /** Pixels from the top of the scrolled content to the first row. */
  top: number
}

/** The rows to put in the DOM, `[first, end)`, and the space the others take above and below. */
export interface ListWindow {
  first: number
  end: number
  before: number
  after: number
}

/**
 * The rows in view at `scrollTop` in a viewport `height` pixels high, with `margin` rows more on
 * each side (so a fast scroll does not show an empty band before the next render).
 */
export function listWindow(
  count: number,
  { rowHeight, top }: RowGeometry,
  scrollTop: number,
  height: number,
  margin: number,
): ListWindow {
  const firstInView = Math.floor((scrollTop - top) / rowHeight)
  const endInView = Math.ceil((scrollTop - top + height) / rowHeight)
  const first = clamp(firstInView - margin, 0, count)
  const end = clamp(endInView + margin, first, count)
  return { first, end, before: first * rowHeight, after: (count - end) * rowHeight }
}

/**
 * The scroll position that shows row `index` whole, moving as little as possible from
 * `scrollTop` (as `scrollIntoView({ block: 'nearest' })`): unchanged if it is already in view.
 */
export function scrollToRow(
  index: number,
  { rowHeight, top }: RowGeometry,
  scrollTop: number,
  height: number,
): number {
  const rowTop = top + index * rowHeight
  const rowBottom = rowTop + rowHeight
  if (rowTop < scrollTop) return rowTop
  if (rowBottom > scrollTop + height) return Math.max(0, rowBottom - height)
  return scrollTop
}

/** The row a key moves the focus to from row `index` (arrows, Home, End, a page), or null. */
export function rowForKey(key: string, index: number, count: number, rowsPerPage: number): number | null {
  const page = Math.max(1, rowsPerPage - 1)
  const to: Record<string, number> = {
    ArrowDown: index + 1,
    ArrowUp: index - 1,
    PageDown: index + page,
    PageUp: index - page,
    Home: 0,
    End: count - 1,
  }
  return key in to && count > 0 ? clamp(to[key]!, 0, count - 1) : null
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value))
