import { fileURLToPath } from 'node:url'
import { localBlobStore } from './local-blob-store.ts'
import type { BlobStore } from './types.ts'

export * from './types.ts'
export { localBlobStore } from './local-blob-store.ts'

/**
 * Opens the blob store named by `url`. Every store honours the same contract; see {@link BlobStore}.
 *
 * - `file:///var/lib/convoy/media`: local disk (embedded, stack, and Kubernetes on a PVC).
 * - `s3://bucket/optional/prefix`: S3 on AWS. The client is made without credentials, so the SDK's
 *   default chain finds them (EKS Pod Identity, environment, profile), and the region too unless
 *   the query names it. The query may also point it at an S3-compatible server:
 *   `s3://media/prod?endpoint=http://127.0.0.1:4568&forcePathStyle=true&region=us-east-1`.
 *
 * The AWS SDK is loaded only for an `s3:` URL: a process on the local disk never holds it.
 *
 * @example
 * const store = await openBlobStore({ url: config.BLOB_STORE_URL })
 * const { size } = await store.put(`videos/${id}`, request.raw, { maxBytes: 200 * 1024 * 1024 })
 */
export async function openBlobStore(options: { url: string }): Promise<BlobStore> {
  if (options.url.startsWith('file:')) return localBlobStore(fileURLToPath(options.url))
  if (options.url.startsWith('s3:'))
    return (await import('./s3-blob-store.ts')).openS3BlobStore(new URL(options.url))
  throw new Error(`unsupported blob store URL scheme: ${options.url.split(':')[0]}`)
}
