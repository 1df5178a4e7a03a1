import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiError, deleted, isGone } from './api-error.ts'

test('a delete is done when it succeeds or finds the thing gone; any other failure stays one', async () => {
  await deleted(Promise.resolve())
  await deleted(Promise.reject(new ApiError(404, 'no such geofence')))
  await assert.rejects(deleted(Promise.reject(new ApiError(403, 'forbidden'))), { status: 403 })
  await assert.rejects(deleted(Promise.reject(new ApiError(0, 'the server cannot be reached'))), {
    status: 0,
  })
  assert.equal(isGone(new ApiError(404, '')), true)
  assert.equal(isGone(new Error('404')), false)
})
