/**
 * Runs Convoy's tests, four files at a time.
 *
 *   node scripts/test.ts                     every test: what `npm test` runs after lint, types and build
 *   node scripts/test.ts --unit              the fast loop (under a minute): embedded database and
 *                                            broker only; no server, browser, ffmpeg or kubectl
 *   node scripts/test.ts [--unit] services/auth packages/platform/src/db …   the tests under these folders
 *
 * Unit tests are the `*.test.ts` files under a package's `src/` (and the web app's `build/`) but
 * the `*.integration.test.ts` ones, which need real servers or tools, as do the tests of the whole
 * system (`apps/convoy/test/`: stacks, the built app in a browser), of the deployment (`test/`)
 * and of the web app's static server (`services/web/test/`). In the unit loop a test
 * written for both kinds of database or broker runs on the embedded kind only, and the real
 * servers' addresses point nowhere, so a test that reaches for one fails at once instead of
 * passing by luck on a machine that has it.
 */
import { spawn } from 'node:child_process'
import { globSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const unit = args.includes('--unit')
const folders = args
  .filter((arg) => arg !== '--unit')
  .map((folder) => path.relative(ROOT, path.resolve(folder)))

const all = globSync(
  [
    'packages/*/src/**/*.test.ts',
    'services/*/{src,build,test}/**/*.test.ts',
    'apps/*/{src,test}/**/*.test.ts',
    'test/**/*.test.ts',
  ],
  {
    cwd: ROOT,
    exclude: (name) => name === 'node_modules',
  },
).sort()
const isUnit = (file: string) =>
  /^(packages|services|apps)\/[^/]+\/(src|build)\//.test(file) && !file.endsWith('.integration.test.ts')
const files = all.filter(
  (file) =>
    (!unit || isUnit(file)) &&
    (folders.length === 0 || folders.some((folder) => `${file}/`.startsWith(`${folder}/`))),
)
if (files.length === 0) {
  console.error(`no ${unit ? 'unit ' : ''}tests under ${folders.join(', ')}`)
  process.exit(1)
}

const env = unit
  ? {
      ...process.env,
      CONVOY_TEST_INFRA: 'embedded',
      // Nothing listens on port 1: a unit test that reaches for a real server fails at once.
      CONVOY_TEST_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/none',
      CONVOY_TEST_AMQP_HOST: '127.0.0.1:1',
      CONVOY_TEST_REDIS_URL: 'redis://127.0.0.1:1',
    }
  : process.env
const child = spawn(process.execPath, ['--test', '--test-concurrency=4', '--test-timeout=120000', ...files], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
