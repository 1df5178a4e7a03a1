/** A CSV cell: text, a number, or nothing. */
export type Cell = string | number | boolean | null

/**
 * What a spreadsheet reads as the start of a formula (`=HYPERLINK(…)`, `+1+cmd|…`, `@SUM(…)`),
 * and the tab and carriage return that some of them skip before one.
 */
const FORMULA = /^[=+\-@\t\r]/

/**
 * One cell, quoted as RFC 4180 says (text always, so a comma, quote or line break inside is
 * safe), and safe to open in a spreadsheet: text that would start a formula gets a leading `'`,
 * which spreadsheets show as text (OWASP's advice for CSV injection). Numbers are written as
 * numbers: `-1.47` is a longitude, not a formula, and a number cannot carry one.
 */
export function csvCell(value: Cell): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = FORMULA.test(value) ? `'${value}` : value
  return `"${text.replaceAll('"', '""')}"`
}

/**
 * A CSV file: a header row, then the rows, each line ended by CRLF (RFC 4180), after a UTF-8
 * byte-order mark so that Excel, which guesses a legacy code page without one, shows a vehicle
 * named `Größe` as it is.
 */
export function csv(header: readonly string[], rows: Iterable<readonly Cell[]>): string {
  const lines = [header.map(csvCell).join(',')]
  for (const row of rows) lines.push(row.map(csvCell).join(','))
  return `\ufeff${lines.join('\r\n')}\r\n`
}
