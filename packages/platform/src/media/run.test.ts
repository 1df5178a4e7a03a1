import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { eventually, isRunning, processes } from '../testing/index.ts'
import { run } from './run.ts'

test('resolves with the exit code and both outputs', async () => {
  const script = 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'
  const result = await run(process.execPath, ['-e', script], { timeoutMs: 10_000 })
  assert.deepEqual(result, { code: 3, signal: null, stdout: 'out', stderr: 'err', timedOut: false })
})

test('passes arguments as they are, with no shell to interpret them', async () => {
  const argument = '$(touch /tmp/convoy-pwned); `id` | cat > x; "quoted" \'single\''
  const result = await run(process.execPath, ['-e', 'process.stdout.write(process.argv[1])', argument], {
    timeoutMs: 10_000,
  })
  assert.equal(result.stdout, argument)
})

test('keeps only the end of standard error and the start of standard output', async () => {
  const script =
    'process.stdout.write("a".repeat(5000) + "b"); process.stderr.write("x".repeat(5000) + "last line")'
  const result = await run(process.execPath, ['-e', script], {
    timeoutMs: 10_000,
    maxStdoutBytes: 100,
    maxStderrBytes: 20,
  })
  assert.equal(result.stdout, 'a'.repeat(100))
  assert.equal(result.stderr, 'xxxxxxxxxxxlast line')
})

test('stops a process that runs too long with SIGTERM', async () => {
  const started = Date.now()
  const result = await run('sleep', ['30'], { timeoutMs: 200 })
  assert.equal(result.timedOut, true)
  assert.equal(result.signal, 'SIGTERM')
  assert.ok(Date.now() - started < 5_000)
})

test('kills a process that ignores SIGTERM with SIGKILL after the grace period', async () => {
  const started = Date.now()
  // The shell ignores SIGTERM and `sleep` inherits that when it replaces the shell.
  const result = await run('sh', ['-c', "trap '' TERM; exec sleep 30"], { timeoutMs: 300, graceMs: 300 })
  assert.equal(result.timedOut, true)
  assert.equal(result.signal, 'SIGKILL')
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 600 && elapsed < 5_000, `${elapsed} ms`)
})

test('rejects when the command is not installed', async () => {
  await assert.rejects(run('convoy-no-such-command', [], { timeoutMs: 1000 }), { code: 'ENOENT' })
})

test('a command dies with the process that ran it, even one killed with SIGKILL', async () => {
  // A process that runs a long command, as a converter runs ffmpeg, and is then killed outright.
  const runner = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { run } from ${JSON.stringify(new URL('./run.ts', import.meta.url).href)}
       void run('sleep', ['300'], { timeoutMs: 600_000 })`,
    ],
    { stdio: 'ignore' },
  )
  try {
    const [sleeper] = await eventually(async () => {
      const found = (await processes()).filter((p) => p.ppid === runner.pid && p.name === 'sleep')
      return found.length > 0 ? found : null
    }, 'the command running')
    runner.kill('SIGKILL')
    await eventually(
      async () => !(await isRunning(sleeper!.pid, 'sleep')),
      'the command gone with its parent',
    )
  } finally {
    runner.kill('SIGKILL')
  }
})
