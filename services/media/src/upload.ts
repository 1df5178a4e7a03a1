import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { MULTIPART_ENVELOPE_BYTES } from '@convoy/contracts'
import { BlobTooLargeError } from '@convoy/platform/blobs'
import { BadRequestError, UnsupportedMediaTypeError } from '@convoy/platform/errors'
import { cleanFilename } from './filename.ts'

export interface ReceivedFile {
  /** A temporary file holding the upload; the caller removes it with `discard`. */
  path: string
  filename: string
  size: number
  discard(): Promise<void>
}

/**
 * Streams the `file` part of a multipart upload to a temporary file in `workDir`, never holding
 * it in memory. A declared length over the limit is refused before a byte is read; an undeclared
 * one is cut off as soon as it goes over. On any failure nothing is left on disk.
 */
export async function receiveFile(
  request: FastifyRequest,
  options: { maxBytes: number; workDir: string },
): Promise<ReceivedFile> {
  if (!request.isMultipart())
    throw new UnsupportedMediaTypeError('send the video as multipart/form-data, field "file"')
  const declared = Number(request.headers['content-length'])
  if (declared > options.maxBytes + MULTIPART_ENVELOPE_BYTES) throw new BlobTooLargeError(options.maxBytes)

  const part = await request
    .file({ limits: { fileSize: options.maxBytes, files: 1, fields: 0, parts: 2 } })
    .catch(refuseMalformed)
  if (!part) throw new BadRequestError('the form has no file: send it in the field "file"')
  if (part.fieldname !== 'file') {
    part.file.resume()
    throw new BadRequestError(`the video goes in the field "file", not ${JSON.stringify(part.fieldname)}`)
  }
  const temp = path.join(options.workDir, `upload-${randomUUID()}`)
  const discard = () => rm(temp, { force: true })
  try {
    // Over the limit, the parser would read (and drop) the rest of the body before ending the
    // file: stop at once instead; the error answer closes the connection.
    part.file.once('limit', () => part.file.destroy(new BlobTooLargeError(options.maxBytes)))
    await pipeline(part.file, createWriteStream(temp, { flags: 'wx' }))
  } catch (error) {
    await discard()
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw new BlobTooLargeError(options.maxBytes)
    refuseMalformed(error)
  }
  return { path: temp, filename: cleanFilename(part.filename), size: part.file.bytesRead, discard }
}

/**
 * The multipart parser's (busboy's) words for a body that is not a well-formed form — no boundary
 * in the Content-Type, a closing boundary that never comes, a part cut short — are a client's
 * mistake: a 400 saying so, not a 500.
 */
function refuseMalformed(error: unknown): never {
  const message = error instanceof Error ? error.message : ''
  if (/^Multipart: |unexpected end of multipart data/i.test(message))
    throw new BadRequestError(`the body is not a complete multipart form (${message.toLowerCase()})`)
  throw error
}
