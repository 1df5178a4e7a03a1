import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiError } from '../shared/api-error.ts'
import { uploadErrorText } from './upload-error.ts'
import { UploadCancelled } from './video-upload.ts'

test('a 413 names the limit in megabytes', () => {
  assert.equal(
    uploadErrorText(new ApiError(413, 'larger than the limit of 209715200 bytes')),
    'This video is larger than the limit of 200 MB.',
  )
  assert.equal(
    uploadErrorText(new ApiError(413, 'Payload Too Large')),
    'This video is larger than the limit.',
  )
})

test("a 415 says why, in the server's words", () => {
  assert.equal(
    uploadErrorText(new ApiError(415, 'not a video: no video stream in this file')),
    'Not a video: no video stream in this file.',
  )
})

test('cancelled, interrupted, refused', () => {
  assert.equal(uploadErrorText(new UploadCancelled()), 'Upload cancelled.')
  assert.equal(
    uploadErrorText(new ApiError(0, 'the upload was interrupted')),
    'The upload was interrupted: Convoy cannot be reached. Try again.',
  )
  assert.equal(
    uploadErrorText(new ApiError(403, 'this needs the role admin or dispatcher; yours is viewer')),
    'Your role cannot upload videos: dispatchers and admins can.',
  )
  assert.equal(
    uploadErrorText(new ApiError(503, 'media is unavailable; try again shortly')),
    'Media is unavailable; try again shortly.',
  )
  assert.equal(uploadErrorText(new Error('boom')), 'Something went wrong. Try again.')
})
