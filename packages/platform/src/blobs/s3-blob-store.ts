import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import {
  BlobNotFoundError,
  BlobTooLargeError,
  checkBlobKey,
  type BlobSource,
  type BlobStore,
  type PutOptions,
} from './types.ts'

/**
 * A put holds at most one part being filled plus `QUEUE_SIZE` parts being sent: about 24 MiB,
 * whatever the size of the blob. 8 MiB parts allow blobs up to 80 GiB (10,000 parts).
 */
const PART_SIZE = 8 * 1024 * 1024
const QUEUE_SIZE = 2

/**
 * Blobs as objects of an S3 bucket: key `videos/abc` is the object `<prefix>/videos/abc`. A put is
 * a multipart upload (a single PutObject when it fits in one part), and S3 shows an object only
 * once its upload is complete, so readers and concurrent writers only ever see whole blobs.
 * A failed or aborted put aborts its multipart upload, leaving no parts behind; a process killed
 * mid-upload cannot, so the bucket wants a lifecycle rule that aborts incomplete multipart uploads.
 * The role needs s3:ListBucket besides the object actions: without it S3 answers a missing key with
 * 403, not 404, and `get` and `exists` fail instead of reporting absence.
 *
 * @example
 * const store = s3BlobStore({ client: new S3Client({}), bucket: 'convoy-media', prefix: 'prod' })
 * await store.put('videos/3f2c.mp4', request.raw, { maxBytes: 200 * 1024 * 1024 })
 */
export function s3BlobStore(options: { client: S3Client; bucket: string; prefix?: string }): BlobStore {
  const { client, bucket } = options
  const prefix = options.prefix?.replace(/^\/+|\/+$/g, '') ?? ''
  if (prefix) checkBlobKey(prefix)

  const objectKey = (key: string) => {
    checkBlobKey(key)
    return prefix ? `${prefix}/${key}` : key
  }

  return {
    async put(key: string, source: BlobSource, { maxBytes, signal }: PutOptions) {
      const Key = objectKey(key)
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`bad maxBytes: ${maxBytes}`)
      let size = 0
      const counted = new Transform({
        transform(chunk: unknown, _encoding, callback) {
          if (!(chunk instanceof Uint8Array)) return callback(new TypeError('a blob source must yield bytes'))
          size += chunk.byteLength
          // Fails on the first chunk over the limit: no more than one chunk beyond it is read.
          if (size > maxBytes) return callback(new BlobTooLargeError(maxBytes))
          callback(null, chunk)
        },
      })
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key, Body: counted },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
      })
      // A failing source, the limit or the signal destroy `counted` with their error, which fails the
      // Upload's reading of its body: it then waits for its parts in flight, aborts the multipart
      // upload and rejects. (`upload.abort()` would reject at once and clean up in the background.)
      // A failing Upload stops reading its body, so `counted` is destroyed to release the source.
      const [piped, uploaded] = await Promise.allSettled([
        pipeline(source, counted, { signal }),
        upload.done().catch((error: unknown) => {
          counted.destroy(error instanceof Error ? error : new Error(String(error)))
          throw error
        }),
      ])
      // The source's own error (too large, aborted, client gone) says more than the Upload's echo of it.
      if (piped.status === 'rejected') throw piped.reason
      if (uploaded.status === 'rejected') throw uploaded.reason
      return { size }
    },

    async get(key: string) {
      const Key = objectKey(key)
      try {
        const { Body, ContentLength } = await client.send(new GetObjectCommand({ Bucket: bucket, Key }))
        return { stream: Body as Readable, size: ContentLength ?? 0 }
      } catch (error) {
        if (error instanceof NoSuchKey) throw new BlobNotFoundError(key)
        throw error
      }
    },

    async delete(key: string) {
      // S3 answers a delete of a missing object with success too.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }))
    },

    // A put cut short by a crash leaves an incomplete multipart upload, which only the bucket's
    // lifecycle rule (AbortIncompleteMultipartUpload) can tell from one under way.
    removeIncomplete: async () => 0,

    async exists(key: string) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }))
        return true
      } catch (error) {
        // A HEAD response has no body, so a missing object is a bare 404, not a NoSuchKey.
        if (error instanceof NotFound || error instanceof NoSuchKey) return false
        throw error
      }
    },
  }
}

const S3_QUERY = new Set(['endpoint', 'forcePathStyle', 'region'])

/** The store an `s3://bucket/prefix?options` URL names (see `openBlobStore`). */
export function openS3BlobStore(url: URL): BlobStore {
  const bucket = url.hostname
  if (!bucket) throw new Error('an s3: blob store URL names its bucket: s3://bucket/optional/prefix')
  if (url.port) throw new Error('an s3: blob store URL has no port: the endpoint option names the server')
  if (url.username || url.password) throw new Error('an s3: blob store URL carries no credentials')
  for (const name of url.searchParams.keys())
    if (!S3_QUERY.has(name)) throw new Error(`unknown option of an s3: blob store URL: ${name}`)
  const forcePathStyle = url.searchParams.get('forcePathStyle')
  if (forcePathStyle !== null && forcePathStyle !== 'true' && forcePathStyle !== 'false')
    throw new Error(`forcePathStyle of an s3: blob store URL is true or false, not ${forcePathStyle}`)
  const client = new S3Client({
    endpoint: url.searchParams.get('endpoint') ?? undefined,
    forcePathStyle: forcePathStyle === 'true',
    region: url.searchParams.get('region') ?? undefined,
  })
  return s3BlobStore({ client, bucket, prefix: url.pathname })
}
