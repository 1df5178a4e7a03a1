import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Media, MediaWithOwner } from '@convoy/contracts'
import { problem, startMedia, type TestMedia } from './test-support.ts'

describe("an admin's audit of every user's uploads", () => {
  let media: TestMedia
  let ann: string // a dispatcher
  let bob: string // another dispatcher
  let vic: string // a viewer
  let ada: string // an admin

  before(async () => {
    media = await startMedia()
    ann = await media.issuer.token({ user: 'ann', role: 'dispatcher' })
    bob = await media.issuer.token({ user: 'bob', role: 'dispatcher' })
    vic = await media.issuer.token({ user: 'vic', role: 'viewer' })
    ada = await media.issuer.token({ user: 'ada', role: 'admin' })
  })
  after(() => media.close())

  const list = async (token: string, query = '') => {
    const response = await media.call('GET', `/media${query}`, token)
    assert.equal(response.status, 200, query)
    return (await response.json()) as MediaWithOwner[]
  }
  const ids = (jobs: Media[]) => jobs.map((job) => job.id)

  test("dispatchers and viewers list their own jobs alone, with their name; every user's is a 403 for them", async () => {
    const ours = (await media.uploaded(ann)).job
    const theirs = (await media.uploaded(bob)).job
    for (const query of ['', '?scope=mine']) {
      const own = await list(ann, query)
      assert.ok(ids(own).includes(ours.id) && !ids(own).includes(theirs.id), query)
      assert.deepEqual(new Set(own.map((job) => job.ownerName)), new Set(['ann']))
    }
    assert.deepEqual(await list(vic), [], 'a viewer has uploaded nothing')
    for (const token of [ann, vic]) {
      const response = await media.call('GET', '/media?scope=all', token)
      assert.equal(response.status, 403)
      assert.match((await problem(response)).detail, /for the role admin; yours is (dispatcher|viewer)/)
    }
    assert.equal((await media.call('GET', '/media?scope=all', '')).status, 401)
  })

  test("an admin lists every user's jobs, newest first, each with its owner's name; their own list stays theirs", async () => {
    const first = (await media.uploaded(ann, 'first.mp4')).job
    const second = (await media.uploaded(bob, 'second.mp4')).job
    const third = (await media.uploaded(ann, 'third.mp4')).job
    const all = await list(ada, '?scope=all')
    const mine = all.filter((job) => [first.id, second.id, third.id].includes(job.id))
    assert.deepEqual(
      mine.map((job) => [job.filename, job.ownerName]),
      [
        ['third.mp4', 'ann'],
        ['second.mp4', 'bob'],
        ['first.mp4', 'ann'],
      ],
    )
    const times = all.map((job) => Date.parse(job.createdAt))
    assert.deepEqual(
      times,
      times.toSorted((a, b) => b - a),
      'newest first',
    )
    const { ownerName, ...job } = mine[0]!
    assert.equal(ownerName, 'ann')
    assert.deepEqual(job, third, 'the job as its owner saw it, and its owner')
    assert.ok(!ids(await list(ada)).includes(first.id), 'without scope=all, only their own')
  })

  test('a scope other than mine or all is a 400', async () => {
    for (const query of ['?scope=ALL', '?scope=everyone', '?scope=', '?scope=all&scope=mine']) {
      const response = await media.call('GET', `/media${query}`, ada)
      assert.equal(response.status, 400, query)
      assert.match((await problem(response)).detail, /scope/, query)
    }
  })

  test("an admin reads and downloads another user's job but cannot delete it; its owner still can", async () => {
    const upload = await media.uploaded(ann, 'collision.mp4')
    const mp3 = Buffer.from('ID3 the audio of the collision')
    await media.convert(upload, mp3)
    const { id } = upload.job

    const read = await media.call('GET', `/media/${id}`, ada)
    assert.equal(read.status, 200)
    assert.equal(((await read.json()) as Media).status, 'ready')
    const download = await media.call('GET', `/media/${id}/mp3`, ada)
    assert.equal(download.status, 200)
    assert.equal(download.headers.get('content-type'), 'audio/mpeg')
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), mp3)

    const refused = await media.call('DELETE', `/media/${id}`, ada)
    assert.equal(refused.status, 403)
    assert.match((await problem(refused)).detail, /only its owner/)
    assert.equal((await media.call('GET', `/media/${id}`, ann)).status, 200, 'still there')
    for (const [method, url] of [
      ['GET', `/media/${id}`],
      ['GET', `/media/${id}/mp3`],
      ['DELETE', `/media/${id}`],
    ] as const)
      assert.equal((await media.call(method, url, bob)).status, 404, `another dispatcher: ${method} ${url}`)

    assert.equal((await media.call('DELETE', `/media/${id}`, ann)).status, 204)
    assert.equal(
      (await media.call('GET', `/media/${id}`, ada)).status,
      404,
      'deleted: gone for the admin too',
    )
    assert.equal((await media.call('DELETE', `/media/${id}`, ada)).status, 404)
    assert.ok(!ids(await list(ada, '?scope=all')).includes(id))
  })

  test("an admin's own uploads are theirs to delete", async () => {
    const alma = await media.issuer.token({ user: 'alma', role: 'admin' })
    const { job } = await media.uploaded(alma)
    assert.deepEqual(
      (await list(alma)).map((own) => [own.id, own.ownerName]),
      [[job.id, 'alma']],
    )
    assert.equal((await media.call('DELETE', `/media/${job.id}`, alma)).status, 204)
  })
})
