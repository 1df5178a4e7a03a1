/**
 * Builds what a service's image runs: its entry and everything it imports as one JavaScript
 * bundle (esbuild), plus the few files a bundle cannot hold.
 *
 *   node scripts/bundle.ts position-tracker            → dist/position-tracker/
 *   node scripts/bundle.ts web --out /app/out          → /app/out/
 *   node dist/position-tracker/main.js                 runs it (from any folder)
 *   node --import ./dist/position-tracker/register.js dist/position-tracker/main.js
 *                                                      … with OpenTelemetry, as its image does
 *
 * The entry is the package's own `exports["."]` (its `src/main.ts`). What lands in the folder:
 * - `main.js`, and a chunk for each dynamic `import()`: what a service loads only when its
 *   configuration asks for it (the AWS SDK for an `s3:` blob store) stays out of memory otherwise.
 * - `register.js`, OpenTelemetry's bootstrap (`@convoy/platform/telemetry/register`), to load
 *   before `main.js` with `--import`: it loads the SDK (a chunk of its own) only when tracing is on.
 * - `node_modules/` with the native packages (a compiled addon cannot be bundled: argon2) and the
 *   packages OpenTelemetry instruments by hooking their `require` (pg: a bundled copy is never
 *   required, so it would never be traced), each with the packages it depends on, copied from
 *   the installed tree. Fastify, undici and Node's http are traced through diagnostics channels
 *   or Node's own modules, which a bundle keeps.
 * - `package.json`, which names the service: a traced process's `service.name`.
 * - the files a workspace package reads at run time, which it names in its package.json as
 *   `runtimeAssets` (the simulator's tracks, the web app's build), at their path in the repository.
 * - `main.js.LEGAL.txt`: the license notices of the code bundled in.
 *
 * Embedded-only packages (PGlite) are left out on purpose: an image runs against real servers, and a
 * bundle asked for an embedded database says which package it lacks.
 */
import { existsSync } from 'node:fs'
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as esbuild from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/**
 * Copied with their dependencies, never bundled: compiled addons, and the packages OpenTelemetry
 * instruments when Node's `require` loads them (see `packages/platform/src/telemetry/sdk.ts`).
 */
const NATIVE = ['argon2']
const INSTRUMENTED = ['pg']
const COPIED = [...NATIVE, ...INSTRUMENTED]
/** Never in an image: the embedded database, and ws' optional native speed-ups. */
const LEFT_OUT = ['@electric-sql/pglite', 'bufferutil', 'utf-8-validate']

interface PackageJson {
  name: string
  exports?: Record<string, string>
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  runtimeAssets?: string[]
}

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as PackageJson

export async function bundleService(service: string, out: string): Promise<void> {
  const packageDir = path.join(ROOT, 'services', service)
  const manifest = await readJson(path.join(packageDir, 'package.json'))
  const entry = manifest.exports?.['.']
  if (!entry) throw new Error(`${manifest.name} names no entry (exports ".")`)

  // Only a folder this script made (or none) is replaced: `--out` never wipes anything else.
  if (existsSync(out) && (await readdir(out)).length > 0 && !existsSync(path.join(out, 'main.js')))
    throw new Error(`${out} holds something other than a bundle: choose an empty or new folder`)
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })
  await writeFile(
    path.join(out, 'package.json'),
    `${JSON.stringify({ name: manifest.name, type: 'module', private: true })}\n`,
  )
  const result = await esbuild.build({
    entryPoints: {
      main: path.join(packageDir, entry),
      register: path.join(ROOT, 'packages/platform/src/telemetry/register.ts'),
    },
    // Inputs named relative to the repository, wherever this runs from (workspaceAssets reads them).
    absWorkingDir: ROOT,
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    chunkNames: '[name]-[hash]',
    external: [...COPIED, ...LEFT_OUT],
    // Smaller to parse at every start; names are kept, so stack traces still read.
    minify: true,
    keepNames: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // The CommonJS packages bundled in call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [keepSourceUrls],
  })

  const used = new Set(
    Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.filter((i) => i.external && COPIED.includes(i.path)).map((i) => i.path),
    ),
  )
  for (const name of used) await copyWithDependencies(name, ROOT, out, new Set())

  for (const [dir, assets] of await workspaceAssets(Object.keys(result.metafile.inputs)))
    for (const asset of assets)
      await cp(path.join(ROOT, dir, asset), path.join(out, dir, asset), { recursive: true })
}

/**
 * A bundle holds many source files but has one `import.meta.url`: a file that finds its assets
 * next to itself (`new URL('../data/', import.meta.url)`) gets its own URL back, as a path below
 * the bundle's folder that mirrors the repository, where the assets are copied.
 */
const keepSourceUrls: esbuild.Plugin = {
  name: 'keep-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      if (args.path.includes(`${path.sep}node_modules${path.sep}`) || !source.includes('import.meta.url'))
        return undefined
      const own = `./${path.relative(ROOT, args.path).split(path.sep).join('/')}`
      return {
        contents: source.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(own)}, import.meta.url).href`,
        ),
        loader: 'ts',
      }
    })
  },
}

/** The `runtimeAssets` of every workspace package with a file in the bundle, by package folder. */
async function workspaceAssets(inputs: string[]): Promise<Map<string, string[]>> {
  const dirs = new Set(
    inputs
      .map((input) => /^((?:packages|services)\/[^/]+)\//.exec(input)?.[1])
      .filter((dir) => dir !== undefined),
  )
  const assets = new Map<string, string[]>()
  for (const dir of dirs) {
    const { runtimeAssets } = await readJson(path.join(ROOT, dir, 'package.json'))
    if (runtimeAssets) assets.set(dir, runtimeAssets)
  }
  return assets
}

/** Where Node finds package `name` from folder `from`: the nearest `node_modules` that holds it. */
function installedPackage(name: string, from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (dir === path.dirname(dir)) throw new Error(`${name} is not installed (looked up from ${from})`)
  }
}

/** Copies an installed package and, recursively, what it depends on, into `out/node_modules`. */
async function copyWithDependencies(name: string, from: string, out: string, copied: Set<string>) {
  if (copied.has(name)) return
  copied.add(name)
  const dir = installedPackage(name, from)
  await cp(dir, path.join(out, 'node_modules', name), { recursive: true })
  const manifest = await readJson(path.join(dir, 'package.json'))
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))
    await copyWithDependencies(dependency, dir, out, copied)
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } })
  const [service] = positionals
  if (!service || positionals.length > 1) {
    console.error('usage: node scripts/bundle.ts <service> [--out <folder>]')
    process.exit(2)
  }
  await bundleService(service, path.resolve(values.out ?? path.join(ROOT, 'dist', service)))
}
