/**
 * Writes Convoy's dashboards (dashboards.ts) as `<uid>.json`, one file per dashboard, into this
 * folder or the one given:
 *
 *   npm run dashboards                                     regenerate the committed JSON
 *   node deploy/monitoring/dashboards/generate.ts <dir>    write them elsewhere
 *
 * The JSON is committed (the kustomization here makes it the ConfigMaps Grafana loads), and
 * test/deploy/dashboards.test.ts fails when it differs from what this writes: edit dashboards.ts,
 * run this, commit both.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { dashboards } from './dashboards.ts'

export const DASHBOARDS_DIR = path.dirname(fileURLToPath(import.meta.url))

/** Writes every dashboard to `<dir>/<uid>.json`; returns the files written. */
export function writeDashboards(dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  return dashboards().map((dashboard) => {
    const file = path.join(dir, `${dashboard.uid}.json`)
    writeFileSync(file, `${JSON.stringify(dashboard, null, 2)}\n`)
    return file
  })
}

if (import.meta.main) {
  for (const file of writeDashboards(path.resolve(process.argv[2] ?? DASHBOARDS_DIR)))
    process.stdout.write(`${path.relative(process.cwd(), file)}\n`)
}
