import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { MULTIPART_ENVELOPE_BYTES } from '@convoy/contracts'
import { BlobTooLargeError } from '@convoy/platform/blobs'
import { BadRequestError, UnsupportedMediaTypeError } from '@convoy/platform/errors'

const FILENAME_MAX = 255

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

  const part = await request.file({ limits: { fileSize: options.maxBytes, files: 1, fields: 0, parts: 2 } })
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
    throw error
  }
  return { path: temp, filename: cleanFilename(part.filename), size: part.file.bytesRead, discard }
}

/** The name the user gave the file, without any folder, control characters or excess length. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim()
  return (clean || 'video').slice(0, FILENAME_MAX)
}
