/** Helpers for the tests that seed a mistake into a copy of the deployment files. */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'

/** Replaces `from` with `to` in `file`, failing if `from` is not there (the seed would be a no-op). */
export function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8')
  const changed = text.replace(from, to)
  assert.notEqual(changed, text, `${file}: ${from} not found`)
  writeFileSync(file, changed)
}
