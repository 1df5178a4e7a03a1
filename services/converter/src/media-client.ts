import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream } from 'node:stream/web'

/** Media refused the job for good (its token, or the request itself): retrying cannot help. */
export class MediaRefusedError extends Error {
  override name = 'MediaRefusedError'
}

/** Media cannot be reached or cannot serve right now (down, 5xx, stalled): worth retrying. */
export class MediaUnavailableError extends Error {
  override name = 'MediaUnavailableError'
}

/** The two calls of media's internal API a conversion makes, each with the job's own token. */
export interface MediaClient {
  /** Streams the job's video into `file`; false when media has no more work for it (deleted, ended). */
  downloadVideo(id: string, token: string, file: string): Promise<boolean>
  /** Streams the MP3 at `file` to media; false when media has no more work for it (deleted, ended). */
  uploadMp3(id: string, token: string, file: string): Promise<boolean>
}

/**
 * Media's internal API at `baseUrl`. Files go through as streams, never whole in memory. A
 * transfer is abandoned when nothing moves for `idleTimeoutMs` (no answer, or no bytes either
 * way), however long a large file takes as long as it keeps moving.
 */
export function mediaClient(options: { baseUrl: string; idleTimeoutMs?: number }): MediaClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000

  async function call(
    id: string,
    resource: 'video' | 'mp3',
    init: (touch: () => void) => Promise<RequestInit>,
    receive: (response: Response, touch: () => void) => Promise<void>,
  ): Promise<boolean> {
    const controller = new AbortController()
    const idle = setTimeout(() => controller.abort(), idleTimeoutMs)
    const touch = () => void idle.refresh()
    try {
      const response = await fetch(`${base}/internal/media/${encodeURIComponent(id)}/${resource}`, {
        ...(await init(touch)),
        signal: controller.signal,
      })
      if (!response.ok) {
        await response.body?.cancel()
        if (response.status === 404) return false
        throw statusError(response.status, resource)
      }
      await receive(response, touch)
      return true
    } catch (error) {
      if (error instanceof MediaRefusedError || error instanceof MediaUnavailableError) throw error
      if (controller.signal.aborted)
        throw new MediaUnavailableError(`media service stalled (nothing for ${idleTimeoutMs} ms)`)
      // fetch's own failures (refused, reset, cut short) are TypeErrors; a full disk is not.
      if (error instanceof TypeError) {
        const code = (error.cause as { code?: unknown } | undefined)?.code
        const detail = typeof code === 'string' ? ` (${code})` : ''
        throw new MediaUnavailableError(`media service unreachable${detail}`, { cause: error })
      }
      throw error
    } finally {
      clearTimeout(idle)
    }
  }

  return {
    downloadVideo: (id, token, file) =>
      call(
        id,
        'video',
        async () => ({ headers: { authorization: `Bearer ${token}` } }),
        async (response, touch) => {
          if (!response.body) throw new MediaUnavailableError('media service sent no video')
          await pipeline(
            Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
            touching(touch),
            createWriteStream(file, { flags: 'wx' }),
          )
        },
      ),

    uploadMp3: (id, token, file) =>
      call(
        id,
        'mp3',
        async (touch) => ({
          method: 'PUT',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'audio/mpeg',
            'content-length': String((await stat(file)).size),
          },
          body: touching(touch)(createReadStream(file)),
          duplex: 'half',
        }),
        async (response) => void (await response.body?.cancel()),
      ),
  }
}

/** Passes chunks through, noting each one: the transfer is still moving. */
function touching(touch: () => void) {
  return async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      touch()
      yield chunk
    }
  }
}

/** A non-2xx answer other than 404, in words a job's owner can read as its failure reason. */
function statusError(status: number, resource: 'video' | 'mp3'): Error {
  if (status === 401 || status === 403)
    return new MediaRefusedError(`the media service refused access to this job (HTTP ${status})`)
  if (status === 408 || status === 429 || status >= 500)
    return new MediaUnavailableError(`media service unavailable (HTTP ${status})`)
  const what = resource === 'video' ? 'sending the video' : 'storing the MP3'
  return new MediaRefusedError(`the media service refused ${what} (HTTP ${status})`)
}
