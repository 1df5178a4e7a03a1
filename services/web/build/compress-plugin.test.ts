import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))

test('every compressed twin of the build is its file, byte for byte', async () => {
  assert.ok(existsSync(DIST), `${DIST} is missing: build the app first (npm run build -w @convoy/web)`)
  const files = (await readdir(DIST, { recursive: true })).filter((file) => /\.(?:br|gz)$/.test(file))
  assert.ok(
    files.some((file) => file.endsWith('.js.br')),
    'the scripts have twins',
  )
  for (const twin of files) {
    const original = await readFile(path.join(DIST, twin.replace(/\.(?:br|gz)$/, '')))
    const compressed = await readFile(path.join(DIST, twin))
    const expanded = twin.endsWith('.br') ? brotliDecompressSync(compressed) : gunzipSync(compressed)
    // A twin made before the bundle was final differs (it kept Vite's preload marker, for one).
    assert.ok(expanded.equals(original), `${twin} is ${twin.replace(/\.(?:br|gz)$/, '')}`)
  }
})
