import { ConfigError } from '@convoy/platform/config'
import { OSM_TILES, type WebConfig } from '@convoy/contracts'

/** OpenStreetMap's own tile server: the default map. */
export const OSM_TILE_URL = OSM_TILES.tileUrl
/** The credit OpenStreetMap's tiles must carry. */
export const OSM_ATTRIBUTION = OSM_TILES.tileAttribution

/**
 * What Leaflet fills in a tile URL template: the zoom and the tile's column and row (`{-y}`: the
 * row counted from the south, for TMS servers), a subdomain (`{s}`), `@2x` on high-density
 * screens (`{r}`).
 */
const PLACEHOLDERS = new Set(['{z}', '{x}', '{y}', '{-y}', '{s}', '{r}'])
/** Stands for `{s}` while the host is parsed: a label no real host has. */
const SUBDOMAIN = 'convoy-tile-subdomain'

export interface Tiles {
  /** What the browser app is told (`GET /config.json`). */
  config: WebConfig
  /** The tiles' origin as a CSP source (`https://*.tile.example` for `{s}`); undefined without tiles. */
  imgSource: string | undefined
}

/**
 * The map tiles of `TILE_URL` and `TILE_ATTRIBUTION`: none when the URL is empty, else an http or
 * https URL template with `{z}`, `{x}` and `{y}`, whose origin the page's CSP must allow. Anything
 * else stops the service at start, saying what is wrong.
 */
export function tiles(url: string, attribution: string): Tiles {
  if (url === '') return { config: { tileUrl: null, tileAttribution: '' }, imgSource: undefined }
  const problem = (why: string) =>
    new ConfigError(
      `invalid configuration: TILE_URL: ${why}; it must be an http(s) URL template with {z}, {x} and {y}, such as ${OSM_TILE_URL}, or empty for no tiles (got ${JSON.stringify(url)})`,
    )
  for (const needed of ['{z}', '{x}']) if (!url.includes(needed)) throw problem(`${needed} is missing`)
  if (!url.includes('{y}') && !url.includes('{-y}')) throw problem('{y} is missing')
  const unknown = (url.match(/\{[^}]*\}/g) ?? []).find((placeholder) => !PLACEHOLDERS.has(placeholder))
  if (unknown) throw problem(`${unknown} is not one of ${[...PLACEHOLDERS].join(', ')}`)
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? ''
  if (authority.replace(/^\{s\}\./, '').includes('{'))
    throw problem('only {s} may stand in the host, as its first label')
  let parsed: URL
  try {
    parsed = new URL(url.replace('{s}', SUBDOMAIN).replace(/\{-?[a-z]\}/g, '0'))
  } catch {
    throw problem('not a URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw problem(`${parsed.protocol} is not http or https`)
  if (parsed.username || parsed.password) throw problem('a user or password in it would be public')
  const host = parsed.host.replace(new RegExp(`^${SUBDOMAIN}\\.`), '*.')
  return { config: { tileUrl: url, tileAttribution: attribution }, imgSource: `${parsed.protocol}//${host}` }
}
