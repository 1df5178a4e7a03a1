/**
 * `Content-Disposition: attachment` naming the file a download is saved as, for every client:
 * `filename` an ASCII fallback (any other character, quotes, backslashes and `%` as `_`), `filename*`
 * the name itself in UTF-8 (RFC 6266, with RFC 8187's encoding: everything but its `attr-char`
 * percent-encoded, so `'`, `(`, `)` and `*` too, which `encodeURIComponent` leaves).
 *
 * @example
 * reply.header('content-disposition', attachment('Grüße.mp3'))
 * // attachment; filename="Gr__e.mp3"; filename*=UTF-8''Gr%C3%BC%C3%9Fe.mp3
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/gu, '_')
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
