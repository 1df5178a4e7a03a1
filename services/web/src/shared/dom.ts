const SVG = 'http://www.w3.org/2000/svg'

/** An element with a class and a text (never HTML: names and reasons come from users and servers). */
export function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className = '',
  text = '',
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag)
  if (className) node.className = className
  if (text) node.textContent = text
  return node
}

/** A decorative line icon on a 16-unit grid, drawn with `currentColor` (see `.icon` in forms.css). */
export function icon(doc: Document, path: string, className = 'icon'): SVGSVGElement {
  const svg = doc.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 16 16')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('class', className)
  const line = doc.createElementNS(SVG, 'path')
  line.setAttribute('d', path)
  svg.append(line)
  return svg
}

/** A button of the app's style. */
export function button(doc: Document, text: string, className = 'button button-small'): HTMLButtonElement {
  const node = element(doc, 'button', className, text)
  node.type = 'button'
  return node
}

/** Line icons used by the uploads page and the notifications. */
export const ICONS = {
  film: 'M2.5 3.5h11v9h-11zM5 3.5v9M11 3.5v9M2.5 6h2.5M2.5 10h2.5M11 6h2.5M11 10h2.5',
  download: 'M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 9h5.6l.7-9',
  check: 'M3.5 8.5 6.5 11.5 12.5 4.5',
  alert: 'M8 2.5 14 13H2zM8 6.5v3M8 11.2v.1',
  close: 'M4 4l8 8M12 4l-8 8',
  mail: 'M2.5 4h11v8h-11zM2.5 4.5 8 9l5.5-4.5',
} as const
