import { loadTracks } from '@convoy/tracks'
import type { Plugin } from 'vite'
import { buildRoadMap } from './roads.ts'

const VIRTUAL_ID = 'virtual:convoy-roads'
const RESOLVED_ID = `\0${VIRTUAL_ID}`
const DEV_URL = '/roads.json'

/**
 * Generates the road drawing from `@convoy/tracks` at build time and exposes its URL as
 * `import roadsUrl from 'virtual:convoy-roads'`. In a build it is a hashed asset in dist/assets;
 * in dev it is served from memory. The JSON stays out of the JS bundle so the app starts without it.
 */
export function roadsPlugin(): Plugin {
  let json: Promise<string> | undefined
  const roadJson = () => (json ??= loadTracks().then((tracks) => JSON.stringify(buildRoadMap(tracks))))
  let serving = false

  return {
    name: 'convoy-roads',
    configResolved(config) {
      serving = config.command === 'serve'
    },
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : undefined
    },
    async load(id) {
      if (id !== RESOLVED_ID) return undefined
      if (serving) return `export default ${JSON.stringify(DEV_URL)}`
      const ref = this.emitFile({ type: 'asset', name: 'roads.json', source: await roadJson() })
      return `export default import.meta.ROLLUP_FILE_URL_${ref}`
    },
    configureServer(server) {
      server.middlewares.use(DEV_URL, (_req, res, next) => {
        roadJson().then((body) => {
          res.setHeader('content-type', 'application/json')
          res.end(body)
        }, next)
      })
    },
  }
}
