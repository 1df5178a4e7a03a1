import { timingSafeEqual } from 'node:crypto'
import multipart from '@fastify/multipart'
import Type from 'typebox'
import { MAY_UPLOAD, Media } from '@convoy/contracts'
import { authenticate, requireRole, type Verifier } from '@convoy/access'
import type { BlobStore } from '@convoy/platform/blobs'
import {
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '@convoy/platform/errors'
import { attachment, createHttpApp, type HttpAppOptions } from '@convoy/platform/http'
import { probe } from '@convoy/platform/media'
import { mp3Key, videoKey, type MediaPipeline } from './pipeline.ts'
import type { JobsRepository } from './repository.ts'
import { receiveFile } from './upload.ts'

const Params = Type.Object({ id: Type.String({ format: 'uuid' }) })
const INTERNAL = '/internal/'

export interface MediaAppOptions extends HttpAppOptions {
  repository: JobsRepository
  pipeline: MediaPipeline
  store: BlobStore
  verifier: Verifier
  maxUploadBytes: number
  workDir: string
  /** ffprobe, when it is not `ffprobe` on the PATH. */
  ffprobe?: string
}

/**
 * Media's HTTP API. `/media…` is the public one (through the gateway; a token on every route,
 * each job visible to its owner alone); `/internal/media/{id}/…` is the converter's, opened by
 * the job's own capability token, and never forwarded by the gateway.
 */
export async function buildApp(options: MediaAppOptions) {
  const { repository, pipeline, store } = options
  const app = createHttpApp(options)
  app.addHook(
    'onRequest',
    authenticate(options.verifier, (path) => path.startsWith(INTERNAL)),
  )
  await app.register(multipart)
  // The converter's MP3 arrives as the raw body: streamed to the store, never parsed.
  app.addContentTypeParser('audio/mpeg', (_request, _payload, done) => done(null))

  const owned = async (id: string, ownerId: string) => {
    const media = await repository.findOwned(id, ownerId)
    if (!media) throw new NotFoundError(`no media ${id}`)
    return media
  }

  app.post(
    '/media',
    { preHandler: requireRole(...MAY_UPLOAD), schema: { response: { 202: Media } } },
    async (request, reply) => {
      const file = await receiveFile(request, { maxBytes: options.maxUploadBytes, workDir: options.workDir })
      try {
        const info = await probe(file.path, { ffprobe: options.ffprobe }).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'ENOENT')
            throw new UnavailableError('videos cannot be checked here: ffprobe (ffmpeg) is not installed')
          throw error
        })
        if (!info.video) throw new UnsupportedMediaTypeError(`not a video: ${info.reason}`)
        const { userId, username } = request.principal!
        const media = await pipeline.accept(file, { id: userId, name: username })
        request.log.info({ id: media.id, size: media.size, format: info.format }, 'video uploaded')
        return reply.code(202).header('location', `/media/${media.id}`).send(media)
      } finally {
        await file.discard()
      }
    },
  )

  app.get('/media', { schema: { response: { 200: Type.Array(Media) } } }, (request) =>
    repository.list(request.principal!.userId),
  )

  app.get('/media/:id', { schema: { params: Params, response: { 200: Media } } }, (request) =>
    owned(request.params.id, request.principal!.userId),
  )

  app.get('/media/:id/mp3', { schema: { params: Params } }, async (request, reply) => {
    const media = await owned(request.params.id, request.principal!.userId)
    if (media.status !== 'ready') throw new ConflictError(`media ${media.id} is ${media.status}, not ready`)
    const { stream, size } = await store.get(mp3Key(media.id))
    const name = `${media.filename.replace(/\.[^.]*$/, '')}.mp3`
    return reply
      .header('content-type', 'audio/mpeg')
      .header('content-length', size)
      .header('content-disposition', attachment(name))
      .send(stream)
  })

  app.delete('/media/:id', { schema: { params: Params } }, async (request, reply) => {
    if (!(await pipeline.remove(request.params.id, request.principal!.userId)))
      throw new NotFoundError(`no media ${request.params.id}`)
    return reply.code(204).send()
  })

  // ── The converter's side ──────────────────────────────────────────────────────────────

  /**
   * The live job `id` if `authorization` carries its capability token and it still waits for
   * its MP3; 401 for another token, 404 for a job gone or ended (a late or repeated conversion
   * has nothing to do: a failed job stays failed).
   */
  const forWorker = async (id: string, authorization: string | undefined) => {
    const job = await repository.find(id)
    if (!job) throw new NotFoundError(`no media ${id}`)
    const given = Buffer.from(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '')
    const expected = Buffer.from(job.token)
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new UnauthorizedError(`not the token of media ${id}`)
    if (job.media.status === 'ready' || job.media.status === 'failed')
      throw new NotFoundError(`media ${id} is ${job.media.status}: nothing left to convert`)
    return job
  }

  app.get(`${INTERNAL}media/:id/video`, { schema: { params: Params } }, async (request, reply) => {
    const job = await forWorker(request.params.id, request.headers.authorization)
    const { stream, size } = await store.get(videoKey(job.media.id))
    await pipeline.started(job.media.id)
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', size)
      .send(stream)
  })

  app.put(`${INTERNAL}media/:id/mp3`, { schema: { params: Params } }, async (request, reply) => {
    const job = await forWorker(request.params.id, request.headers.authorization)
    await store.put(mp3Key(job.media.id), request.raw, { maxBytes: options.maxUploadBytes })
    return reply.code(204).send()
  })

  return app
}
