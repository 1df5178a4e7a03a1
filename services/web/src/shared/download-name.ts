/**
 * The file name a download is saved under: the `Content-Disposition` header's `filename*`
 * (RFC 5987, UTF-8) or `filename`, else `fallback`. Any folder part is dropped, so a name can
 * never point outside the downloads folder.
 */
export function downloadName(disposition: string | null, fallback: string): string {
  const header = disposition ?? ''
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (extended) {
    const name = decodeExtended(extended[1] ?? '', (extended[2] ?? '').trim())
    if (name) return safeName(name, fallback)
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)
  if (quoted) return safeName((quoted[1] ?? '').replace(/\\(.)/g, '$1'), fallback)
  const token = /filename\s*=\s*([^;\s]+)/i.exec(header)
  return safeName(token?.[1] ?? '', fallback)
}

/** `clip.mp4` → `clip.mp3`: the name media gives an upload's MP3. */
export function mp3Name(filename: string): string {
  const base = filename.replace(/\.[^.]*$/, '')
  return `${base || 'audio'}.mp3`
}

function decodeExtended(charset: string, value: string): string | null {
  // Only UTF-8 is worth reading; a name in another charset falls back to `filename`.
  if (charset.toLowerCase() !== 'utf-8') return null
  try {
    return decodeURIComponent(value)
  } catch {
    return null
  }
}

function safeName(name: string, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return base === '' || base === '.' || base === '..' ? fallback : base
}
