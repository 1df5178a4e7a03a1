import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nameBasedUuid } from './index.ts'

test("RFC 9562's example: www.example.com in the DNS namespace", () => {
  assert.equal(
    nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  )
})

test('the same name gives the same id; another name or namespace, another', () => {
  const namespace = '02f42f4e-fd3d-4f6a-9c95-13bbe1be31fb'
  assert.equal(nameBasedUuid(namespace, 'Van 7'), nameBasedUuid(namespace, 'Van 7'))
  assert.notEqual(nameBasedUuid(namespace, 'Van 7'), nameBasedUuid(namespace, 'Van 8'))
  assert.notEqual(
    nameBasedUuid(namespace, 'Van 7'),
    nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'Van 7'),
  )
})
