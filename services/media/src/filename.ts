/** The longest name kept, in UTF-16 units: the limit of `video.uploaded`'s `filename`. */
const FILENAME_MAX = 255

/**
 * Characters a name must not carry: controls (C0, C1), the invisible format characters that
 * reorder or hide text (U+202E RIGHT-TO-LEFT OVERRIDE shows `exe.mp4` for `mp4.exe`, zero-width
 * spaces, isolates, the byte-order mark) and line or paragraph separators.
 */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu

/**
 * The name the user gave the file, as every other user will see it: without any folder,
 * unshowable characters or excess length.
 */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? ''
  const clean = base.replace(UNSHOWABLE, '').trim() || 'video'
  // At most FILENAME_MAX UTF-16 units (the message contract's limit), never half a character.
  let kept = ''
  for (const character of clean) {
    if (kept.length + character.length > FILENAME_MAX) break
    kept += character
  }
  return kept
}
