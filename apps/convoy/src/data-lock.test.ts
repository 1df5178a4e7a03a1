import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { lockDataDir } from './data-lock.ts'

const dir = await mkdtemp(path.join(tmpdir(), 'convoy-lock-'))
after(() => rm(dir, { recursive: true, force: true }))

test('one system at a time per data directory', async () => {
  const unlock = await lockDataDir(dir)
  await assert.rejects(lockDataDir(dir), /already in use/)
  await unlock()
  const again = await lockDataDir(dir)
  await again()
})

test('a lock left by a process that no longer runs is taken over; a live one is refused', async () => {
  await writeFile(path.join(dir, 'convoy.lock'), '2147483646') // no such process
  const unlock = await lockDataDir(dir)
  await unlock()
  await writeFile(path.join(dir, 'convoy.lock'), String(process.ppid)) // our parent: alive
  await assert.rejects(lockDataDir(dir), new RegExp(`in use by another Convoy \\(pid ${process.ppid}\\)`))
})

test('a lock written by an earlier process with this pid (a restarted container) is taken over', async () => {
  const earlier = { hostname: hostname(), pid: process.pid, id: 'an earlier run' }
  await writeFile(path.join(dir, 'convoy.lock'), JSON.stringify(earlier))
  const unlock = await lockDataDir(dir)
  await unlock()
})
