import { fileURLToPath } from 'node:url'
import { logLevel, opsConfig, port, Type, type Static } from '@convoy/platform/config'

/** The package's own build output, where `npm run build -w @convoy/web` writes it. */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../dist', import.meta.url))

export const Config = Type.Object({
  PORT: port(8090),
  HOST: Type.String({ default: '0.0.0.0' }),
  ...opsConfig(9090),
  LOG_LEVEL: logLevel(),
  /** The built browser app to serve. */
  WEB_DIST_DIR: Type.String({ minLength: 1, default: DEFAULT_DIST_DIR }),
})
export type Config = Static<typeof Config>
