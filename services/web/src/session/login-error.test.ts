import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ApiError } from '../shared/api-error.ts'
import { formatWait, loginErrorMessage } from './login-error.ts'

test('says what went wrong, and how long to wait after too many attempts', () => {
  assert.equal(
    loginErrorMessage(new ApiError(401, 'wrong username or password')),
    'Wrong username or password.',
  )
  assert.equal(
    loginErrorMessage(new ApiError(429, 'too many failed logins for this user', 840)),
    'Too many sign-in attempts. Try again in 14 minutes.',
  )
  assert.equal(
    loginErrorMessage(new ApiError(429, 'too many')),
    'Too many sign-in attempts. Try again in a while.',
  )
  assert.equal(
    loginErrorMessage(new ApiError(400, 'the Basic credentials are not base64')),
    'Sign-in refused: the Basic credentials are not base64.',
  )
  for (const error of [
    new ApiError(0, 'unreachable'),
    new ApiError(503, 'auth is unavailable'),
    new Error(),
  ]) {
    assert.match(loginErrorMessage(error), /cannot be reached/)
  }
})

test('a wait reads in the unit that suits it, rounded up', () => {
  assert.equal(formatWait(0), '1 second')
  assert.equal(formatWait(45), '45 seconds')
  assert.equal(formatWait(60), '1 minute')
  assert.equal(formatWait(61), '2 minutes')
  assert.equal(formatWait(900), '15 minutes')
  assert.equal(formatWait(3600), '1 hour')
  assert.equal(formatWait(5400), '2 hours')
})
