import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { Plugin } from 'vite'

const COMPRESSIBLE = /\.(?:js|css|html|json|svg)$/
const MIN_BYTES = 1024

/**
 * Writes `.br` and `.gz` twins of the text assets next to them, so the static server can send
 * them as they are (`preCompressed`) instead of compressing on every request.
 */
export function compressPlugin(): Plugin {
  return {
    name: 'convoy-compress',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const [fileName, output] of Object.entries(bundle)) {
        if (!COMPRESSIBLE.test(fileName)) continue
        const source = output.type === 'chunk' ? output.code : output.source
        const bytes = Buffer.from(source)
        if (bytes.length < MIN_BYTES) continue
        const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
        this.emitFile({ type: 'asset', fileName: `${fileName}.br`, source: brotli })
        this.emitFile({ type: 'asset', fileName: `${fileName}.gz`, source: gzipSync(bytes, { level: 9 }) })
      }
    },
  }
}
