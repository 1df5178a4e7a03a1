import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiError } from '../shared/api-error.ts'
import { UploadCancelled, uploadVideo, type UploadOptions, type XhrLike } from './video-upload.ts'

const media = {
  id: '0b5a1c1e-3f43-4a57-9d0e-6a7f0f3c2b11',
  filename: 'clip.mp4',
  size: 11,
  status: 'uploaded',
  createdAt: '2026-03-01T08:00:00.000Z',
  updatedAt: '2026-03-01T08:00:00.000Z',
}

class FakeXhr implements XhrLike {
  upload: XhrLike['upload'] = { onprogress: null }
  onload: XhrLike['onload'] = null
  onerror: XhrLike['onerror'] = null
  onabort: XhrLike['onabort'] = null
  status = 0
  responseText = ''
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: FormData | null = null
  aborted = false
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value
  }
  send(body: FormData) {
    this.body = body
  }
  abort() {
    this.aborted = true
    this.onabort?.()
  }
  /** The server's answer. */
  answer(status: number, body: unknown) {
    this.status = status
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body)
    this.onload?.()
  }
}

/** Lets the promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function harness(overrides: Partial<UploadOptions> = {}) {
  const xhrs: FakeXhr[] = []
  const progress: Array<[number, number]> = []
  const auth = { token: 'token-1' as string | null, renewals: 0, renewTo: 'token-2' as string | null }
  const options: UploadOptions = {
    createXhr: () => {
      const xhr = new FakeXhr()
      xhrs.push(xhr)
      return xhr
    },
    token: async () => auth.token,
    renew: async () => {
      auth.renewals++
      auth.token = auth.renewTo
      return auth.renewTo !== null
    },
    onProgress: (loaded, total) => progress.push([loaded, total]),
    ...overrides,
  }
  return { options, xhrs, progress, auth }
}

const file = new Blob(['not a video'], { type: 'video/mp4' })

test('posts the video as the multipart field "file" with the token, reports progress and returns the job', async () => {
  const { options, xhrs, progress } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  const xhr = xhrs[0]!
  assert.equal(xhr.method, 'POST')
  assert.equal(xhr.url, '/api/media')
  assert.equal(xhr.headers.authorization, 'Bearer token-1')
  const sent = xhr.body?.get('file')
  assert.ok(sent instanceof File)
  assert.equal(sent.name, 'clip.mp4')
  assert.equal(sent.size, file.size)
  xhr.upload.onprogress?.({ loaded: 5, total: 200, lengthComputable: true })
  xhr.upload.onprogress?.({ loaded: 9, total: 0, lengthComputable: false })
  xhr.answer(202, media)
  assert.deepEqual(await upload.done, media)
  assert.deepEqual(progress, [
    [5, 200],
    [9, 0],
  ])
})

test('a problem answer rejects with its detail', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'notes.mp4', options)
  await settle()
  xhrs[0]!.answer(415, {
    type: 'about:blank',
    title: 'Unsupported Media Type',
    status: 415,
    detail: 'not a video: no streams',
  })
  await assert.rejects(upload.done, (error: unknown) => {
    assert.ok(error instanceof ApiError)
    assert.equal(error.status, 415)
    assert.equal(error.detail, 'not a video: no streams')
    return true
  })
})

test('an answer without a problem body rejects with its status', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  xhrs[0]!.answer(499, '')
  await assert.rejects(upload.done, { name: 'ApiError', status: 499, detail: 'the upload failed (HTTP 499)' })
})

test('a refused token renews the session once and sends the video again', async () => {
  const { options, xhrs, auth } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  xhrs[0]!.answer(401, { detail: 'the access token has expired' })
  await settle()
  assert.equal(auth.renewals, 1)
  assert.equal(xhrs.length, 2)
  assert.equal(xhrs[1]!.headers.authorization, 'Bearer token-2')
  xhrs[1]!.answer(202, media)
  assert.deepEqual(await upload.done, media)
})

test('a second 401, or a refused renewal, is the end', async () => {
  const twice = harness()
  const first = uploadVideo(file, 'clip.mp4', twice.options)
  await settle()
  twice.xhrs[0]!.answer(401, { detail: 'expired' })
  await settle()
  twice.xhrs[1]!.answer(401, { detail: 'still expired' })
  await assert.rejects(first.done, { status: 401, detail: 'still expired' })
  assert.equal(twice.auth.renewals, 1)

  const ended = harness()
  ended.auth.renewTo = null
  const second = uploadVideo(file, 'clip.mp4', ended.options)
  await settle()
  ended.xhrs[0]!.answer(401, { detail: 'expired' })
  await assert.rejects(second.done, { status: 401 })
  assert.equal(ended.xhrs.length, 1, 'not sent again')
})

test('a token renewed meanwhile (by another call) is used without renewing again', async () => {
  const { options, xhrs, auth } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  auth.token = 'token-from-elsewhere'
  xhrs[0]!.answer(401, { detail: 'expired' })
  await settle()
  assert.equal(auth.renewals, 0)
  assert.equal(xhrs[1]!.headers.authorization, 'Bearer token-from-elsewhere')
  xhrs[1]!.answer(202, media)
  await upload.done
})

test('cancel aborts the request', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  upload.cancel()
  assert.equal(xhrs[0]!.aborted, true)
  await assert.rejects(upload.done, UploadCancelled)
})

test('cancel before sending sends nothing', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  upload.cancel()
  await assert.rejects(upload.done, UploadCancelled)
  assert.equal(xhrs.length, 0)
})

test('a network failure and a signed-out session are errors of their own', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  xhrs[0]!.onerror?.()
  await assert.rejects(upload.done, { status: 0 })

  const signedOut = harness({ token: async () => null })
  await assert.rejects(uploadVideo(file, 'clip.mp4', signedOut.options).done, { status: 401 })
  assert.equal(signedOut.xhrs.length, 0)
})

test('a 2xx without a job is an error, not a broken row', async () => {
  const { options, xhrs } = harness()
  const upload = uploadVideo(file, 'clip.mp4', options)
  await settle()
  xhrs[0]!.answer(202, { id: 'x' })
  await assert.rejects(upload.done, { status: 202 })
})
