/**
 * Hands `blob` to the browser as a download named `filename`: an object URL clicked through a
 * temporary `<a download>` (the file came with an Authorization header, so a plain link cannot
 * fetch it). The URL is released once the browser has taken the file.
 */
export function saveFile(doc: Document, blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = doc.createElement('a')
  link.href = url
  link.download = filename
  link.hidden = true
  doc.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
