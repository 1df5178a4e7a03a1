import { timingSafeEqual } from 'node:crypto'
import multipart from '@fastify/multipart'
import Type from 'typebox'
import { MAY_AUDIT_UPLOADS, MAY_UPLOAD, Media, MediaListQuery, MediaWithOwner } from '@convoy/contracts'
import { authenticate, requireRole, type Principal, type Verifier } from '@convoy/access'
import type { BlobStore } from '@convoy/platform/blobs'
import {
  ConflictError,
  ForbiddenError,
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
 * each job visible to its owner alone, and read only to an admin auditing every user's uploads); `/internal/media/{id}/…` is the converter's, opened by
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

  /** Whether the caller may read every user's jobs: an audit, read only. */
  const audits = (caller: Principal) => MAY_AUDIT_UPLOADS.includes(caller.role)
  /**
   * The job `id` and its owner's id if the caller may read it: their own (the repository's read
   * names the owner), or any for an auditor. 404 for anyone else, as if it did not exist.
   */
  const readable = async (id: string, caller: Principal) => {
    if (audits(caller)) {
      const job = await repository.find(id)
      if (job) return { media: job.media, ownerId: job.owner.id }
    } else {
      const media = await repository.findOwned(id, caller.userId)
      if (media) return { media, ownerId: caller.userId }
    }
    throw new NotFoundError(`no media ${id}`)
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

  app.get(
    '/media',
    { schema: { querystring: MediaListQuery, response: { 200: Type.Array(MediaWithOwner) } } },
    (request) => {
      const caller = request.principal!
      if (request.query.scope !== 'all') return repository.list({ ownerId: caller.userId })
      if (!audits(caller))
        throw new ForbiddenError(
          `every user's uploads are for the role ${MAY_AUDIT_UPLOADS.join(' or ')}; yours is ${caller.role}`,
        )
      return repository.list('all')
    },
  )

  app.get('/media/:id', { schema: { params: Params, response: { 200: Media } } }, async (request) => {
    return (await readable(request.params.id, request.principal!)).media
  })

  app.get('/media/:id/mp3', { schema: { params: Params } }, async (request, reply) => {
    const caller = request.principal!
    const { media, ownerId } = await readable(request.params.id, caller)
    if (media.status !== 'ready') throw new ConflictError(`media ${media.id} is ${media.status}, not ready`)
    const { stream, size } = await store.get(mp3Key(media.id))
    if (ownerId !== caller.userId)
      request.log.info(
        { id: media.id, ownerId, by: caller.username },
        "another user's MP3 downloaded (audit)",
      )
    const name = `${media.filename.replace(/\.[^.]*$/, '')}.mp3`
    return reply
      .header('content-type', 'audio/mpeg')
      .header('content-length', size)
      .header('content-disposition', attachment(name))
      .send(stream)
  })

  // Only the owner deletes: an auditor who can see the job is told why not, anyone else that
  // there is no such job.
  app.delete('/media/:id', { schema: { params: Params } }, async (request, reply) => {
    const { id } = request.params
    const caller = request.principal!
    if (await pipeline.remove(id, caller.userId)) return reply.code(204).send()
    if (audits(caller) && (await repository.find(id)))
      throw new ForbiddenError(
        `media ${id} is another user's: an admin may read it, only its owner delete it`,
      )
    throw new NotFoundError(`no media ${id}`)
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
