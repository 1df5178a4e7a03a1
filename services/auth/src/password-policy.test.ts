import assert from 'node:assert/strict'
import { test } from 'node:test'
import { passwordProblem } from './password-policy.ts'

const viewer = { username: 'alice', role: 'viewer' as const }

test('length is counted in characters, spaces included, and only length and guessability matter', () => {
  assert.equal(
    passwordProblem('🚚🚛🚐🚌🚎🚍🚘🚖', viewer),
    undefined,
    'eight characters, sixteen UTF-16 units',
  )
  assert.match(passwordProblem('🚚🚛🚐🚌🚎🚍🚘', viewer)!, /at least 8 characters/)
  assert.equal(passwordProblem('all lower case words', viewer), undefined, 'no composition rules')
  assert.match(passwordProblem(' '.repeat(8), viewer)!, /only spaces/)
})

test("the most common passwords, the username and this system's name are refused, whatever their case", () => {
  for (const password of ['password', 'PASSWORD', 'iloveyou', '12345678', 'qwertyuiop', 'letmein1'])
    assert.match(passwordProblem(password, viewer)!, /most common/, password)
  for (const password of ['alice_7391', 'Alice_2024', '2024alice!', 'ALICE0000'])
    assert.match(passwordProblem(password, viewer)!, /username/, password)
  assert.match(passwordProblem('convoy-2026', viewer)!, /name of this system/)
  assert.equal(
    passwordProblem('alice in wonderland', viewer),
    undefined,
    'a phrase with the name in it is fine',
  )
})

test('an admin needs 12 characters', () => {
  assert.match(
    passwordProblem('eleven char', { username: 'root', role: 'admin' })!,
    /12 characters for an admin/,
  )
  assert.equal(passwordProblem('twelve chars', { username: 'root', role: 'admin' }), undefined)
})
