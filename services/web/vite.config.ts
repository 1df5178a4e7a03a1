import { defineConfig } from 'vite'
import { compressPlugin } from './build/compress-plugin.ts'
import { roadsPlugin } from './build/roads-plugin.ts'

const GATEWAY = 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [roadsPlugin(), compressPlugin()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 300 },
  server: { proxy: { '/api': { target: GATEWAY, ws: true, changeOrigin: true } } },
  preview: { proxy: { '/api': { target: GATEWAY, ws: true, changeOrigin: true } } },
})
