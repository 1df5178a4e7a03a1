import { fileURLToPath } from 'node:url'
import { localBlobStore } from './local-blob-store.ts'
import type { BlobStore } from './types.ts'

export * from './types.ts'
export { localBlobStore } from './local-blob-store.ts'

/**
 * Opens the blob store named by `url`: `file:///var/lib/convoy/media` for local disk (embedded,
 * stack, and Kubernetes on a PVC). Every store honours the same contract; see {@link BlobStore}.
 *
 * @example
 * const store = openBlobStore({ url: config.BLOB_STORE_URL })
 * const { size } = await store.put(`videos/${id}`, request.raw, { maxBytes: 200 * 1024 * 1024 })
 */
export function openBlobStore(options: { url: string }): BlobStore {
  if (options.url.startsWith('file:')) return localBlobStore(fileURLToPath(options.url))
  // S3 (AWS) goes here: `s3://bucket/prefix` → an s3BlobStore on AWS SDK v3 (`@aws-sdk/client-s3`,
  // `@aws-sdk/lib-storage` Upload for streamed multipart puts, aborted on error or over maxBytes),
  // created without credentials in config so the SDK's default chain finds EKS Pod Identity.
  // It must pass blob-store.contract.test.ts like the local store.
  throw new Error(`unsupported blob store URL scheme: ${options.url.split(':')[0]}`)
}
