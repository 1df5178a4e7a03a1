import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { Plugin } from 'vite'

const COMPRESSIBLE = /\.(?:js|css|html|json|svg)$/
const MIN_BYTES = 1024

/**
 * Writes `.br` and `.gz` twins of the text assets next to them, so the static server can send
 * them as they are (`preCompressed`) instead of compressing on every request. It runs once the
 * bundle is written (`writeBundle`): earlier, in `generateBundle`, a chunk that loads another
 * (`import()`) still holds the marker Vite replaces with the list to preload, and the twins kept it
 * (`__VITE_PRELOAD__ is not defined` in every browser that takes brotli).
 */
export function compressPlugin(): Plugin {
  return {
    name: 'convoy-compress',
    apply: 'build',
    enforce: 'post',
    writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist'
      for (const [fileName, output] of Object.entries(bundle)) {
        if (!COMPRESSIBLE.test(fileName)) continue
        const source = output.type === 'chunk' ? output.code : output.source
        const bytes = Buffer.from(source)
        if (bytes.length < MIN_BYTES) continue
        const file = path.join(dir, fileName)
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        )
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }))
      }
    },
  }
}
