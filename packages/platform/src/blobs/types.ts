import type { Readable } from 'node:stream'
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../errors/index.ts'

/** What `put` accepts: a Node stream (an HTTP request, a file) or any (async) iterable of bytes. */
export type BlobSource = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export interface PutOptions {
  /** Most bytes accepted; the upload fails with {@link BlobTooLargeError} as soon as it goes over. */
  maxBytes: number
  /** Aborts the upload (a client that went away); nothing is stored. */
  signal?: AbortSignal
}

export interface Blob {
  /** The content, streamed; the caller must consume or destroy it. */
  stream: Readable
  /** Its length in bytes. */
  size: number
}

/**
 * Where media files live, streamed in and out, never held whole in memory. A blob appears under
 * its key only once it was received completely and within its size limit: readers never see a
 * partial file, and two writers of one key leave one of the two complete contents.
 *
 * Implementations: local disk (embedded, stack, and Kubernetes on a PVC) and S3 on AWS.
 * Every implementation passes `blob-store.contract.test.ts`.
 *
 * @example
 * const store = await openBlobStore({ url: config.BLOB_STORE_URL })
 * await store.put(`videos/${id}`, request.raw, { maxBytes: config.MAX_UPLOAD_BYTES })
 * const { stream, size } = await store.get(`videos/${id}`)
 */
export interface BlobStore {
  /** Stores the stream under `key`, replacing any blob there; resolves with its size once durable. */
  put(key: string, source: BlobSource, options: PutOptions): Promise<{ size: number }>
  /** The blob under `key`; {@link BlobNotFoundError} when there is none. */
  get(key: string): Promise<Blob>
  /** Removes the blob under `key`; removing one that is not there is not an error. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /**
   * Removes what puts cut short by a crash left behind and nobody has written to for
   * `olderThanMs` (a put under way writes all the time); how many went. On local disk the hidden
   * temporary files; on S3 nothing: the bucket's lifecycle rule aborts incomplete multipart uploads.
   */
  removeIncomplete(olderThanMs: number): Promise<number>
}

/** An upload over its size limit: the HTTP layer answers 413. */
export class BlobTooLargeError extends PayloadTooLargeError {}

export class BlobNotFoundError extends NotFoundError {
  readonly key: string
  constructor(key: string) {
    // The key is the store's business: callers see only that the file is missing.
    super('the file is not there')
    this.key = key
  }
}

/** A key outside the allowed set (see {@link checkBlobKey}); a bug of the caller, never user input. */
export class InvalidBlobKeyError extends BadRequestError {
  constructor(key: string, why: string) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 100))}: ${why}`)
  }
}

// Segments of letters, digits, '_', '-' and '.', never starting with '.', joined by single '/':
// no '..', no absolute path, no empty segment, nothing a file system or S3 treats specially.
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/
const MAX_KEY_LENGTH = 512
const MAX_SEGMENT_LENGTH = 200

/**
 * Refuses a key that could escape the store's root or mean something special to a backend: keys
 * are relative, `/`-separated segments of `[A-Za-z0-9._-]` that do not start with a dot (so no
 * `.` or `..`, and no clash with the local store's hidden temporary files).
 *
 * @example
 * checkBlobKey('videos/3f2c.mp4') // fine
 * checkBlobKey('../etc/passwd') // throws InvalidBlobKeyError
 */
export function checkBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError(String(key), 'empty')
  if (key.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError(key, `longer than ${MAX_KEY_LENGTH}`)
  if (!KEY.test(key)) throw new InvalidBlobKeyError(key, 'not relative segments of [A-Za-z0-9._-]')
  if (key.split('/').some((segment) => segment.length > MAX_SEGMENT_LENGTH))
    throw new InvalidBlobKeyError(key, `a segment longer than ${MAX_SEGMENT_LENGTH}`)
}
