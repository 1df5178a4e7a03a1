import { ApiError } from '../shared/api-error.ts'
import { isMedia } from '../shared/frames.ts'
import type { Media } from '../shared/types.ts'

/** The part of XMLHttpRequest an upload uses (a fake one in tests). */
export interface XhrLike {
  readonly upload: {
    onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null
  }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
  readonly status: number
  readonly responseText: string
  open(method: string, url: string): void
  setRequestHeader(name: string, value: string): void
  send(body: FormData): void
  abort(): void
}

export interface UploadOptions {
  createXhr(): XhrLike
  /** The session's access token, renewed first if it has expired; null when signed out. */
  token(): Promise<string | null>
  /** The token was refused: renew the session; true when there is a fresh token. */
  renew(): Promise<boolean>
  /** Bytes of the request sent so far, of `total`. */
  onProgress(loaded: number, total: number): void
  url?: string
}

export interface Upload {
  /** The job media made of the video (`202 Media`); rejects with an `ApiError` or `UploadCancelled`. */
  readonly done: Promise<Media>
  /** Stops the upload (`xhr.abort()`): `done` rejects with `UploadCancelled`. */
  cancel(): void
}

export class UploadCancelled extends Error {
  constructor() {
    super('upload cancelled')
    this.name = 'UploadCancelled'
  }
}

/**
 * `POST /api/media` with the video as the multipart field `file`. XMLHttpRequest rather than
 * `fetch`, because only XMLHttpRequest reports how much of the body has been sent. A refused
 * token (401) renews the session once and sends the video again, as `Session.fetch` does.
 */
export function uploadVideo(file: Blob, filename: string, options: UploadOptions): Upload {
  const url = options.url ?? '/api/media'
  let current: XhrLike | null = null
  let cancelled = false

  const send = (token: string) =>
    new Promise<XhrLike>((resolve, reject) => {
      const xhr = options.createXhr()
      current = xhr
      xhr.open('POST', url)
      xhr.setRequestHeader('authorization', `Bearer ${token}`)
      xhr.setRequestHeader('accept', 'application/json')
      xhr.upload.onprogress = (event) =>
        options.onProgress(event.loaded, event.lengthComputable ? event.total : 0)
      xhr.onload = () => resolve(xhr)
      xhr.onerror = () => reject(new ApiError(0, 'the upload was interrupted'))
      xhr.onabort = () => reject(new UploadCancelled())
      const form = new FormData()
      form.append('file', file, filename)
      xhr.send(form)
    })

  const run = async (): Promise<Media> => {
    const token = await options.token()
    if (cancelled) throw new UploadCancelled()
    if (token === null) throw new ApiError(401, 'not signed in')
    let xhr = await send(token)
    if (xhr.status === 401) {
      // Another call may have renewed the token meanwhile; otherwise renew it now.
      const renewed = (await options.token()) !== token || (await options.renew())
      const fresh = renewed ? await options.token() : null
      if (cancelled) throw new UploadCancelled()
      if (fresh !== null) xhr = await send(fresh)
    }
    if (xhr.status >= 200 && xhr.status < 300) {
      const media = parse(xhr.responseText)
      if (isMedia(media)) return media
      throw new ApiError(xhr.status, 'the server answered with something other than the job')
    }
    throw problemOf(xhr)
  }

  return {
    done: run(),
    cancel() {
      cancelled = true
      current?.abort()
    },
  }
}

/** The error of an answer that is not ok, from its problem+json `detail` when it has one. */
function problemOf(xhr: XhrLike): ApiError {
  const problem = parse(xhr.responseText) as { detail?: unknown } | null
  // Without a problem body (a proxy's page, a dropped connection's status) the status is all there is.
  const detail =
    typeof problem?.detail === 'string' ? problem.detail : `the upload failed (HTTP ${xhr.status})`
  return new ApiError(xhr.status, detail)
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
