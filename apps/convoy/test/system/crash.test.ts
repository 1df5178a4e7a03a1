/**
 * Convoy killed outright (SIGKILL: a power cut for the processes, an OOM kill, `kill -9`) while a
 * job is at every stage of the pipeline at once, then started again on the same data:
 *
 * - uploading: a video's body is still coming in;
 * - uploaded: a job stored, waiting in the converters' queue;
 * - converting: ffmpeg at work on a long video;
 * - notifying: a job ready, its email being sent (the mail transport holds it).
 *
 * In both topologies every job then ends `ready` on its own, within a bounded time; each owner
 * gets exactly one email per job; the upload cut short leaves no job; no ffmpeg the killed
 * processes started runs on; no temporary file is left in the work folders or the blob store.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { openAsBlob } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Email, Media } from '@convoy/contracts'
import {
  createTestDatabase,
  createTestVhost,
  eventually,
  isRunning,
  makeTestVideo,
  parseMail,
  processes,
  queueCounts,
  startMailCatcher,
  TEST_POSTGRES_URL,
} from '@convoy/platform/testing'
import { startStack } from '@convoy/system'
import { login, TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { parseOwner } from '@convoy/platform/lifecycle'

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
/** How long every job may take to end after the restart: bounded, whatever the crash cut. */
const ENDS_WITHIN_MS = 60_000
/**
 * Each test starts the whole system twice (the first embedded start makes five PGlite databases,
 * about half of its time): 30–60 s alone, several times that when the suite runs four test files
 * at once on two cores shared with other work. The bound that matters, every job ending within
 * ENDS_WITHIN_MS of the restart, is asserted inside.
 */
const TWO_STARTS = { timeout: 600_000 }
/** How long a start may take on a machine as busy as that. */
const STARTS_WITHIN_MS = 180_000
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent'

let dir: string
let clip: string // 1 s: converted at once
let long: string // 400 s of sound: ffmpeg busy for a few seconds
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convoy-crash-'))
  clip = path.join(dir, 'clip.mp4')
  long = path.join(dir, 'long.mp4')
  await Promise.all([
    makeTestVideo(clip, { seconds: 1 }),
    makeTestVideo(long, { seconds: 400, width: 64, height: 48, fps: 1, audioCodec: 'alac' }),
  ])
})
after(() => rm(dir, { recursive: true, force: true }))

/** What the scenario needs to know of a topology. */
interface Topology {
  /** Starts Convoy on its data (the same every time); its URL and the processes a crash kills. */
  start(): Promise<{ url: string; pids: number[] }>
  /** Kills every process of Convoy with SIGKILL and waits until they are gone. */
  kill(): Promise<void>
  /** From now on emails stay in flight, until `releaseEmails`. */
  holdEmails(): Promise<void>
  releaseEmails(): Promise<void>
  /** Whether an email is being sent and held. */
  emailHeld(token: string, url: string): Promise<boolean>
  /** Emails sent (or written) about a file name. */
  emailsAbout(filename: string): Promise<number>
  /** Resolves once notification has nothing left to do (every event handled). */
  notificationsIdle(token: string, url: string): Promise<boolean>
  /** Where media and converter keep their temporary files, and where media keeps its files. */
  workDirs: string[]
  blobDir: string
}

async function crashAtEveryStage(topology: Topology) {
  let { url, pids } = await topology.start()
  let token = await login(url)
  const api = (method: string, route: string, body?: FormData) =>
    fetch(`${url}/api${route}`, { method, body, headers: { authorization: `Bearer ${token}` } })
  const status = async (job: Media) => ((await (await api('GET', `/media/${job.id}`)).json()) as Media).status
  async function upload(file: string, filename: string) {
    const form = new FormData()
    form.append('file', await openAsBlob(file), filename)
    const response = await api('POST', '/media', form)
    assert.equal(response.status, 202, await response.clone().text())
    return (await response.json()) as Media
  }

  // Uploading: the first megabyte of a video is in, the rest is still to come.
  const cut = uploadInFlight(url, token, 'cut short.mp4')
  await eventually(async () => (await uploadsUnderWay(topology.workDirs)) > 0, 'an upload under way')

  // Notifying: a job ready, its email held by the mail transport.
  await topology.holdEmails()
  const notifying = await upload(clip, 'notifying.mp4')
  await eventually(
    async () => (await status(notifying)) === 'ready' && (await topology.emailHeld(token, url)),
    'a job ready, its email in flight',
    30_000,
  )

  // Converting: ffmpeg at work.
  const converting = await upload(long, 'converting.mp4')
  await eventually(
    async () =>
      (await status(converting)) === 'converting' &&
      (await mediaToolProcesses(pids)).some((p) => p.name === 'ffmpeg'),
    'ffmpeg converting (past ffprobe)',
    30_000,
  )

  // Uploaded: a job waiting behind it (one conversion at a time).
  const uploaded = await upload(clip, 'uploaded.mp4')
  assert.equal(await status(uploaded), 'uploaded')

  const orphans = await mediaToolProcesses(pids)
  assert.ok(
    orphans.some((p) => p.name === 'ffmpeg'),
    'ffmpeg still converting when the crash comes',
  )
  await topology.kill()
  cut.destroy()
  await eventually(
    async () => (await Promise.all(orphans.map((p) => isRunning(p.pid, p.name)))).every((alive) => !alive),
    'no ffmpeg outlives the processes killed',
    5_000,
  )

  await topology.releaseEmails()
  const restarted = performance.now()
  ;({ url, pids } = await topology.start())
  token = await login(url)
  const jobs = [notifying, converting, uploaded]
  for (const job of jobs)
    await eventually(async () => (await status(job)) === 'ready', `${job.filename} ready`, ENDS_WITHIN_MS)
  for (const job of jobs)
    await eventually(
      async () => (await topology.emailsAbout(job.filename)) > 0,
      `the email about ${job.filename}`,
    )
  await eventually(() => topology.notificationsIdle(token, url), 'every notification handled')
  const seconds = (performance.now() - restarted) / 1000

  for (const job of jobs)
    assert.equal(await topology.emailsAbout(job.filename), 1, `one email about ${job.filename}`)
  const listed = (await (await api('GET', '/media')).json()) as Media[]
  assert.deepEqual(listed.map((job) => job.filename).sort(), [
    'converting.mp4',
    'notifying.mp4',
    'uploaded.mp4',
  ])
  assert.deepEqual(await filesIn(topology.workDirs), [], 'nothing left in the work folders')
  assert.deepEqual(
    await filesIn([topology.blobDir]),
    jobs.flatMap((job) => [`mp3/${job.id}`, `videos/${job.id}`]).sort(),
    'the blob store holds the jobs’ files and nothing else',
  )
  return { seconds }
}

/** A multipart upload through the gateway whose first megabyte is sent, and nothing more. */
function uploadInFlight(url: string, token: string, filename: string) {
  const boundary = 'convoy-crash-test'
  const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: video/mp4\r\n\r\n`
  const request = http.request(`${url}/api/media`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + 50 * 1024 * 1024,
    },
  })
  request.on('error', () => {}) // the server dies under it
  request.write(head)
  request.write(Buffer.alloc(1024 * 1024))
  return request
}

/** Uploads media is receiving in its work folder (`<work dir>/convoy-media-…/upload-…`). */
async function uploadsUnderWay(workDirs: string[]) {
  let count = 0
  for (const workDir of workDirs)
    for (const entry of await readdir(workDir, { recursive: true }).catch(() => []))
      if (/convoy-media-[^/]+\/upload-/.test(entry)) count++
  return count
}

/** The ffmpeg and ffprobe processes that the processes `pids` started. */
async function mediaToolProcesses(pids: number[]) {
  return (await processes()).filter((p) => pids.includes(p.ppid) && ['ffmpeg', 'ffprobe'].includes(p.name))
}

/**
 * The files under `folders`, relative to them, but the owner files of live processes' work
 * folders: nothing else is left once every job has ended.
 */
async function filesIn(folders: string[]) {
  const files: string[] = []
  for (const folder of folders) {
    for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue
      const file = path.join(entry.parentPath, entry.name)
      if (entry.name.endsWith('.owner')) {
        const owner = parseOwner(await readFile(file, 'utf8'))
        if (owner && (await isRunning(owner.pid))) continue
      }
      files.push(path.relative(folder, file))
    }
  }
  return files.sort()
}

test(
  'a crash of embedded Convoy at every stage of a job: after the restart every job ends ready, emailed once, nothing left behind',
  TWO_STARTS,
  async () => {
    const dataDir = path.join(dir, 'embedded')
    let launcher: ReturnType<typeof spawn> | undefined
    const outbox = path.join(dataDir, 'outbox')
    const emails = async (token: string, url: string) =>
      (await (
        await fetch(`${url}/api/notifications/emails`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as Email[]
    const topology: Topology = {
      workDirs: [path.join(dataDir, 'work')],
      blobDir: path.join(dataDir, 'media-files'),
      async start() {
        // `npm start`: the launcher in a process of its own.
        const child = spawn(process.execPath, [CLI, 'embedded'], {
          env: {
            ...process.env,
            CONVOY_DATA_DIR: dataDir,
            PORT: '0',
            CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
            VEHICLES: '0',
            LOG_LEVEL,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        launcher = child
        let output = ''
        child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
        const running = await eventually(
          () => /Convoy is running \(embedded\) at (\S+)/.exec(output)?.[1],
          'Convoy running',
          STARTS_WITHIN_MS,
        )
        return { url: running.replace('localhost', '127.0.0.1'), pids: [child.pid!] }
      },
      async kill() {
        launcher!.kill('SIGKILL')
        if (launcher!.exitCode === null && launcher!.signalCode === null) await once(launcher!, 'exit')
      },
      // The outbox cannot be written while a file stands in its place: emails wait, unsent.
      holdEmails: () => writeFile(outbox, 'not a folder'),
      releaseEmails: () => rm(outbox, { force: true }),
      emailHeld: async (token, url) =>
        (await emails(token, url)).some((e) => e.subject.includes('notifying.mp4') && !e.sentAt),
      async emailsAbout(filename) {
        const files = (await readdir(outbox).catch(() => [])).filter((name) => name.endsWith('.eml'))
        const subjects = await Promise.all(
          files.map(
            async (name) => parseMail(await readFile(path.join(outbox, name), 'utf8')).headers.subject ?? '',
          ),
        )
        return subjects.filter((subject) => subject.includes(filename)).length
      },
      notificationsIdle: async (token, url) => (await emails(token, url)).every((e) => e.sentAt),
    }
    try {
      const { seconds } = await crashAtEveryStage(topology)
      console.log(`embedded: every job ended ${seconds.toFixed(1)} s after the restart began`)
    } finally {
      if (launcher && launcher.exitCode === null) {
        launcher.kill('SIGTERM')
        await once(launcher, 'exit')
      }
    }
  },
)

test(
  'a crash of every process of the stack at every stage of a job: after the restart every job ends ready, emailed once, nothing left behind',
  TWO_STARTS,
  async () => {
    const databases = Object.fromEntries(
      await Promise.all(
        (['auth', 'position-tracker', 'fleet-events', 'media', 'notification'] as const).map(
          async (service) => [service, await createTestDatabase()] as const,
        ),
      ),
    ) as Record<
      'auth' | 'position-tracker' | 'fleet-events' | 'media' | 'notification',
      Awaited<ReturnType<typeof createTestDatabase>>
    >
    const vhost = await createTestVhost()
    const smtp = await startMailCatcher()
    const workDirs = {
      media: path.join(dir, 'stack-media-work'),
      converter: path.join(dir, 'stack-converter-work'),
    }
    const blobDir = path.join(dir, 'stack-blobs')
    let system: Awaited<ReturnType<typeof startStack>> | undefined
    const pidsOf = () => Object.values(system!.pids)
    const topology: Topology = {
      workDirs: Object.values(workDirs),
      blobDir,
      async start() {
        // `npm run stack`: a process per service, on the same databases, vhost and files each time.
        system = await startStack({
          postgresUrl: TEST_POSTGRES_URL,
          databaseUrls: Object.fromEntries(
            Object.entries(databases).map(([service, db]) => [service, db.url]),
          ),
          amqpUrl: vhost.url,
          port: 0,
          stdio: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
          env: {
            LOG_LEVEL,
            CONVOY_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
            BLOB_STORE_URL: pathToFileURL(blobDir).href,
            VEHICLES: '0',
          },
          serviceEnv: {
            media: { WORK_DIR: workDirs.media },
            converter: { WORK_DIR: workDirs.converter },
            // The held email stays in flight until the crash, however long the test takes to get there.
            notification: { SMTP_PORT: String(smtp.port), SMTP_TIMEOUT_MS: '120000' },
          },
        })
        return { url: system.url, pids: pidsOf() }
      },
      async kill() {
        const pids = pidsOf()
        for (const pid of pids) process.kill(pid, 'SIGKILL')
        await eventually(
          async () => (await Promise.all(pids.map((pid) => isRunning(pid)))).every((alive) => !alive),
          'every service gone',
        )
      },
      holdEmails: async () => smtp.hold(),
      releaseEmails: async () => smtp.release(),
      emailHeld: async () => smtp.held > 0,
      emailsAbout: async (filename) =>
        smtp.mails.filter((mail) => mail.headers.subject?.includes(filename)).length,
      async notificationsIdle() {
        const counts = await queueCounts(vhost.url, 'notification.media')
        return counts.ready + counts.unacked === 0
      },
    }
    try {
      const { seconds } = await crashAtEveryStage(topology)
      console.log(`stack: every job ended ${seconds.toFixed(1)} s after the restart began`)
    } finally {
      await system?.close().catch(() => {})
      await smtp.close()
      await Promise.all([...Object.values(databases).map((db) => db.drop()), vhost.drop()])
    }
  },
)
