/**
 * Every panel query of the committed dashboards (`<uid>.json` in this folder), for the tests that
 * check them: against the metrics Convoy defines (test/deploy/dashboards.test.ts) or against a live
 * Prometheus. Importing this module has no side effects.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface PanelQuery {
  /** The dashboard's uid (its file is `<uid>.json`). */
  dashboard: string
  panel: string
  /** The query as the dashboard has it, with Grafana's variables. */
  expr: string
  /** The query as Prometheus's API takes it: every variable replaced (see `substitute`). */
  promql: string
}

/** The panels of a dashboard's JSON, rows' collapsed panels included. */
interface DashboardJson {
  uid: string
  panels?: Array<{ title?: string; targets?: Array<{ expr?: string }>; panels?: DashboardJson['panels'] }>
}

/**
 * A query with Grafana's variables replaced as a dashboard opened with its defaults would:
 * `$__rate_interval` by 5m (four scrapes of 30 s and more, what Grafana gives at this scrape
 * interval over a few hours) and `$service` (All) by a regex that matches every service.
 */
export function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$service', '.+')
    .replace(/\$(\w+)|\$\{(\w+)\}/, (variable) => {
      throw new Error(`${expr}: no value for the variable ${variable}`)
    })
}

/** The queries of every `<uid>.json` in `dir` (by default the committed ones), by dashboard and panel. */
export function dashboardQueries(dir = path.dirname(fileURLToPath(import.meta.url))): PanelQuery[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as DashboardJson
      const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])])
      return panels.flatMap((panel) =>
        (panel.targets ?? []).flatMap(({ expr }) =>
          expr
            ? [{ dashboard: dashboard.uid, panel: panel.title ?? '', expr, promql: substitute(expr) }]
            : [],
        ),
      )
    })
}
