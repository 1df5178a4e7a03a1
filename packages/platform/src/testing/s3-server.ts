import { mkdtemp, readdir, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** The little of a Koa context used here. */
interface Context {
  method: string
  path: string
  query: Record<string, unknown>
  status: number
}

/** The little of s3rver's API used here; the package ships no types. s3rver is a Koa app. */
type S3rver = new (options: {
  address: string
  port: number
  silent: boolean
  directory: string
  configureBuckets: Array<{ name: string }>
}) => {
  middleware: Array<(ctx: Context, next: () => Promise<void>) => Promise<void>>
  run(): Promise<AddressInfo>
  close(): Promise<void>
  httpServer?: Server
}

/** The access key s3rver accepts (its signature check knows this one account). */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/**
 * An S3-protocol server on loopback with one empty `bucket`, its objects in a temporary folder
 * that `close` removes. It is s3rver, a fake S3 in Node, used because real S3 cannot run on this
 * machine or in CI. It speaks enough of the protocol for a blob store (objects, multipart uploads)
 * but is not S3: it writes an object in place, so a replacement is not atomic, and it lacks
 * AbortMultipartUpload and ListMultipartUploads, given here by a small handler and `pendingUploads`.
 *
 * @example
 * const server = await startS3Server('media')
 * const url = `s3://media/prefix?endpoint=${server.endpoint}&forcePathStyle=true&region=us-east-1`
 */
export async function startS3Server(bucket: string): Promise<{
  endpoint: string
  /** Multipart uploads begun and neither completed nor aborted. */
  pendingUploads: () => Promise<string[]>
  close: () => Promise<void>
}> {
  const directory = await mkdtemp(path.join(tmpdir(), 'convoy-s3rver-'))
  // Where s3rver keeps the parts of an upload: `<directory>/<bucket>/._S3rver_uploads/<uploadId>/`.
  const uploads = path.join(directory, bucket, '._S3rver_uploads')
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rver
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  })
  // AbortMultipartUpload (`DELETE /<bucket>/<key>?uploadId=<id>`), ahead of s3rver's own routes,
  // which refuse it; like S3, it drops the upload's parts. Added before `run`, which composes them.
  server.middleware.unshift(async (ctx, next) => {
    const { uploadId } = ctx.query
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next()
    if (!ctx.path.startsWith(`/${bucket}/`) || !/^[0-9a-f]+$/.test(uploadId)) {
      ctx.status = 404
      return
    }
    await rm(path.join(uploads, uploadId), { recursive: true, force: true })
    ctx.status = 204
  })
  const { port } = await server.run()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pendingUploads: () =>
      readdir(uploads).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'ENOENT') return []
        throw error
      }),
    close: async () => {
      server.httpServer?.closeAllConnections()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
