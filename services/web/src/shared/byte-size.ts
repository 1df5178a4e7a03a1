const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']
const STEP = 1024

/** The unit a size is best read in: 0 for bytes, 1 for KB, 2 for MB… */
function unitOf(bytes: number): number {
  let unit = 0
  while (unit < UNITS.length - 1 && bytes >= STEP ** (unit + 1)) unit++
  return unit
}

/** A number of `unit`s, with one decimal while it is small: "4.5", "12", "200". */
function amount(bytes: number, unit: number): string {
  const value = bytes / STEP ** unit
  if (unit === 0) return String(Math.round(value))
  const rounded = value < 10 ? Math.round(value * 10) / 10 : Math.round(value)
  return rounded.toLocaleString('en')
}

/** "512 B", "12 KB", "4.5 MB", "200 MB", "1.2 GB" (binary units, as file managers count). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return ''
  const unit = unitOf(bytes)
  return `${amount(bytes, unit)} ${UNITS[unit]}`
}

export interface Progress {
  /** Whole percent, 0–100. */
  percent: number
  /** "4.5 of 10 MB": the sent part in the unit of the whole. */
  sent: string
}

/** How far an upload has got, for the progress bar and its label. */
export function formatProgress(loaded: number, total: number): Progress {
  if (!(total > 0)) return { percent: 0, sent: formatBytes(Math.max(0, loaded)) }
  const done = Math.min(Math.max(0, loaded), total)
  // 99.6% is not done yet: only a finished upload shows 100.
  const percent = done === total ? 100 : Math.min(99, Math.floor((done / total) * 100))
  const unit = unitOf(total)
  return { percent, sent: `${amount(done, unit)} of ${amount(total, unit)} ${UNITS[unit]}` }
}
