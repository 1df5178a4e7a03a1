import { fileURLToPath } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import { localBlobStore } from './local-blob-store.ts'
import { s3BlobStore } from './s3-blob-store.ts'
import type { BlobStore } from './types.ts'

export * from './types.ts'
export { localBlobStore } from './local-blob-store.ts'
export { s3BlobStore } from './s3-blob-store.ts'

/**
 * Opens the blob store named by `url`. Every store honours the same contract; see {@link BlobStore}.
 *
 * - `file:///var/lib/convoy/media`: local disk (embedded, stack, and Kubernetes on a PVC).
 * - `s3://bucket/optional/prefix`: S3 on AWS. The client is made without credentials, so the SDK's
 *   default chain finds them (EKS Pod Identity, environment, profile), and the region too unless
 *   the query names it. The query may also point it at an S3-compatible server:
 *   `s3://media/prod?endpoint=http://127.0.0.1:4568&forcePathStyle=true&region=us-east-1`.
 *
 * @example
 * const store = openBlobStore({ url: config.BLOB_STORE_URL })
 * const { size } = await store.put(`videos/${id}`, request.raw, { maxBytes: 200 * 1024 * 1024 })
 */
export function openBlobStore(options: { url: string }): BlobStore {
  if (options.url.startsWith('file:')) return localBlobStore(fileURLToPath(options.url))
  if (options.url.startsWith('s3:')) return openS3BlobStore(new URL(options.url))
  throw new Error(`unsupported blob store URL scheme: ${options.url.split(':')[0]}`)
}

const S3_QUERY = new Set(['endpoint', 'forcePathStyle', 'region'])

function openS3BlobStore(url: URL): BlobStore {
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
