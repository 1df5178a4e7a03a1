import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { testLogger } from '../testing/index.ts'
import { claimWorkFolder } from './index.ts'

const dir = await mkdtemp(path.join(tmpdir(), 'convoy-work-'))
const children: ChildProcess[] = []
after(async () => {
  for (const child of children) child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

/** Another process that claims a work folder in `workDir`, leaves a file in it, and waits. */
async function processWithWorkFolder(workDir: string) {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { writeFile } from 'node:fs/promises'
       import { claimWorkFolder } from ${JSON.stringify(new URL('./work-folder.ts', import.meta.url).href)}
       const log = { info() {} }
       const work = await claimWorkFolder(process.argv[1], 'media', log)
       await writeFile(work.path + '/upload-half-done', 'x'.repeat(1000))
       console.log(work.path)
       setInterval(() => {}, 1000)`,
      workDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  children.push(child)
  const [folder] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
  return { child, folder }
}

test('a work folder left by a killed process goes at the next start; a live process keeps its own', async () => {
  const workDir = path.join(dir, 'shared')
  const killed = await processWithWorkFolder(workDir)
  const alive = await processWithWorkFolder(workDir)
  killed.child.kill('SIGKILL')
  await once(killed.child, 'exit')

  const work = await claimWorkFolder(workDir, 'converter', testLogger())
  const left = await readdir(workDir)
  assert.ok(!left.includes(path.basename(killed.folder)), 'the killed process’s folder is gone')
  assert.ok(!left.includes(`${path.basename(killed.folder)}.owner`), 'and its claim')
  assert.deepEqual(await readdir(alive.folder), ['upload-half-done'], 'the live process’s folder is whole')
  assert.ok(left.includes(path.basename(work.path)))

  await work.release()
  assert.ok(!(await readdir(workDir)).includes(path.basename(work.path)), 'released: removed')
})

test('a work folder claimed under this pid by an earlier run (a restarted container is pid 1 again) goes', async () => {
  const workDir = path.join(dir, 'restarted')
  const earlier = path.join(workDir, 'convoy-media-earlier')
  await rm(workDir, { recursive: true, force: true })
  await claimWorkFolder(workDir, 'media', testLogger()) // makes the folder
  const first = await readdir(workDir)
  await writeFile(
    `${earlier}.owner`,
    JSON.stringify({ hostname: hostname(), pid: process.pid, id: 'earlier' }),
  )
  await writeFile(earlier, 'left by a crash') // a file will do as well as a folder

  const second = await claimWorkFolder(workDir, 'media', testLogger())
  const left = await readdir(workDir)
  assert.ok(!left.includes('convoy-media-earlier') && !left.includes('convoy-media-earlier.owner'))
  for (const name of first) assert.ok(left.includes(name), `${name}, held by this process, stays`)
  await second.release()
})

test('a claim on another host is never judged gone: its folder stays', async () => {
  const workDir = path.join(dir, 'other-host')
  await rm(workDir, { recursive: true, force: true })
  const theirs = path.join(workDir, 'convoy-converter-theirs')
  await (await claimWorkFolder(workDir, 'converter', testLogger())).release()
  await writeFile(`${theirs}.owner`, JSON.stringify({ hostname: 'another-host', pid: 1, id: 'x' }))
  const work = await claimWorkFolder(workDir, 'converter', testLogger())
  assert.ok((await readdir(workDir)).includes('convoy-converter-theirs.owner'))
  await work.release()
})
