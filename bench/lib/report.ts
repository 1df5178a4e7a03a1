/** The environment a figure was measured in, and the way results are shown and kept. */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { promisify } from 'node:util'
import { TEST_POSTGRES_URL } from '@convoy/platform/testing'
import { ROOT } from './services.ts'
import { query } from './scratch.ts'

const run = promisify(execFile)

export async function machineInfo() {
  const [rabbitmq, postgres, commit, changed] = await Promise.all([
    run('rabbitmqctl', ['version']).then(
      ({ stdout }) => stdout.trim(),
      () => 'unknown',
    ),
    query<{ server_version: string }>(TEST_POSTGRES_URL, 'SHOW server_version').then(
      (rows) => rows[0]?.server_version ?? 'unknown',
      () => 'unknown',
    ),
    run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).then(({ stdout }) => stdout.trim()),
    // Uncommitted changes to the code under test, if any.
    run('git', ['status', '--porcelain', 'services', 'packages'], { cwd: ROOT }).then(({ stdout }) =>
      stdout.split('\n').filter(Boolean),
    ),
  ])
  return {
    commit: changed.length ? `${commit} + uncommitted changes` : commit,
    uncommitted: changed,
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    rabbitmq,
    postgres,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

export function markdownTable(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * Prints the markdown summary and the full JSON on stdout, and keeps the JSON under
 * bench/results/ (git-ignored) for comparing runs.
 */
export async function publish(name: string, markdown: string, data: unknown): Promise<void> {
  const dir = `${ROOT}bench/results`
  await mkdir(dir, { recursive: true })
  const file = `${dir}/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`)
  process.stdout.write(
    `\n${markdown}\n\n\`\`\`json\n${JSON.stringify(data, null, 2)}\n\`\`\`\n\nsaved ${file}\n`,
  )
}

/** A progress line on stderr, so stdout holds only the results. */
export const progress = (message: string) =>
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
