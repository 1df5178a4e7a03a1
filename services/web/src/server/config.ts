import { fileURLToPath } from 'node:url'
import { logLevel, opsConfig, port, stringOrEmpty, Type, type Static } from '@convoy/platform/config'
import { OSM_ATTRIBUTION, OSM_TILE_URL } from './tiles.ts'

/** The package's own build output, where `npm run build -w @convoy/web` writes it. */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../dist', import.meta.url))

export const Config = Type.Object({
  PORT: port(8090),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9090),
  LOG_LEVEL: logLevel(),
  /** The built browser app to serve. */
  WEB_DIST_DIR: Type.String({ minLength: 1, default: DEFAULT_DIST_DIR }),
  /** The map tiles' URL template (tiles.ts says what passes); empty: no tiles, the app's own roads. */
  TILE_URL: stringOrEmpty(OSM_TILE_URL),
  /** Their credit, HTML; empty: none. */
  TILE_ATTRIBUTION: stringOrEmpty(OSM_ATTRIBUTION),
})
export type Config = Static<typeof Config>
