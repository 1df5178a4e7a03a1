import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { BlobNotFoundError, openBlobStore, type BlobStore } from './index.ts'

let parent: string
let root: string
let store: BlobStore
before(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'convoy-local-blobs-'))
  root = path.join(parent, 'store')
  store = await openBlobStore({ url: pathToFileURL(root).href })
})
after(() => rm(parent, { recursive: true, force: true }))

test('a key is a file under the root, its folders made on demand', async () => {
  await store.put('videos/2026/a.mp4', [Buffer.from('video')], { maxBytes: 10 })
  assert.equal(await readFile(path.join(root, 'videos', '2026', 'a.mp4'), 'utf8'), 'video')
  assert.deepEqual(await readdir(path.join(root, 'videos', '2026')), ['a.mp4'])
})

test('nothing outside the root is reachable, even what sits right beside it', async () => {
  await writeFile(path.join(parent, 'secret'), 'secret')
  await assert.rejects(store.get('../secret'), { status: 400 })
  await assert.rejects(store.delete('../secret'), { status: 400 })
  assert.equal(await readFile(path.join(parent, 'secret'), 'utf8'), 'secret')
})

test('a folder of other keys is not a blob, and a blob is not a folder', async () => {
  await store.put('folder/inner', [Buffer.from('x')], { maxBytes: 10 })
  assert.equal(await store.exists('folder'), false)
  await assert.rejects(store.get('folder'), BlobNotFoundError)
  await store.delete('folder')
  assert.equal(await store.exists('folder/inner'), true)
  assert.equal(await store.exists('folder/inner/deeper'), false)
  await assert.rejects(store.get('folder/inner/deeper'), BlobNotFoundError)
})

test('only file: URLs name a local store; other schemes are refused', async () => {
  await assert.rejects(
    openBlobStore({ url: 'ftp://example.com/media' }),
    /unsupported blob store URL scheme: ftp/,
  )
  await assert.rejects(openBlobStore({ url: 'file://remote-host/media' }), /must be absolute|host/)
})

test('what a put cut short by a crash left goes once nobody has written it for a while; nothing else does', async () => {
  await store.put('crash/whole', [Buffer.from('a whole blob')], { maxBytes: 100 })
  const left = path.join(root, 'crash', `.cut.${randomUUID()}.tmp`)
  const writing = path.join(root, 'crash', `.under-way.${randomUUID()}.tmp`)
  await writeFile(left, 'half a video')
  await writeFile(writing, 'a video being written')
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
  await utimes(left, twoHoursAgo, twoHoursAgo)

  assert.equal(await store.removeIncomplete(3_600_000), 1)
  assert.deepEqual((await readdir(path.join(root, 'crash'))).sort(), [path.basename(writing), 'whole'].sort())
  assert.equal(await store.exists('crash/whole'), true)
})
