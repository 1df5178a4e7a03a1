/**
 * The images and the processes in them, measured on the real thing: every image built with podman
 * and compose.yaml run (test/containers/topology.ts, as the container test does), then
 *
 * - each image's size, uncompressed (as stored) and compressed as a registry receives it (each
 *   layer gzipped, as `podman push --compress` writes them), the Node base image alone beside them;
 * - each Convoy service's RSS (VmRSS of its PID 1) once the topology has run a minute with the
 *   simulator driving its 38 vehicles: median of three readings 10 s apart;
 * - each service's start: a second process of the same image, started inside its container on
 *   other ports with the same configuration but an empty RabbitMQ vhost of its own, from
 *   `node --import ./register.js main.js` (the image's command) to its first 200 on /readyz (polled every 20 ms), median of `--rounds`; and its
 *   RSS 10 s after that, idle.
 *
 *   node bench/containers.ts [--rounds=3]
 */
import { mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { eventually } from '@convoy/platform/testing'
import { login } from '@convoy/system/testing'
import { fullName } from '../test/containers/images.ts'
import { SERVICES, startTopology, type Topology } from '../test/containers/topology.ts'
import { median, parseArgs, sleep } from './lib/args.ts'
import { onCleanup, runBench } from './lib/cleanup.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'

const options = parseArgs({ rounds: 3 })
const MiB = 2 ** 20

/**
 * Started inside a service's container: prints milliseconds to ready, and the idle RSS in kB. Its
 * broker is a vhost of its own (`idle`, empty), so it takes none of its service's messages and
 * sends none to it; it shares the service's database, which it only reads at start.
 */
const SECOND_PROCESS = String.raw`
export PORT=18999 OPS_PORT=19999
[ -n "$AMQP_URL" ] && export AMQP_URL="$AMQP_URL/idle"
start=$(date +%s%N)
node --import ./register.js main.js >/dev/null 2>&1 &
pid=$!
ready() { exec 3<>/dev/tcp/127.0.0.1/19999 && printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3 && head -c 12 <&3 | grep -q ' 200'; }
tries=0
until ready 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "the second process exited" >&2; exit 1; }
  tries=$((tries + 1)); [ $tries -gt 1500 ] && { echo "not ready in 30 s" >&2; kill $pid; exit 1; }
  sleep 0.02
done
end=$(date +%s%N)
sleep 10
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
kill -TERM $pid
wait $pid
[ -n "$rss" ] || { echo "no RSS read" >&2; exit 1; }
echo "$(( (end - start) / 1000000 )) $rss"
`

runBench(async () => {
  const machine = await machineInfo()
  progress('building every image and starting compose.yaml (several minutes)')
  const topology = await startTopology('benchmark admin password')
  onCleanup('the containers topology', () => topology.close())
  await eventually(
    () => login(topology.url, 'admin', 'benchmark admin password').catch(() => undefined),
    'the first login',
    120_000,
  )

  progress('image sizes')
  const { built, pulled } = topology.images
  const nodeBase = fullName('node:24.21.0-bookworm-slim')
  const sizes: Array<{ service: string; uncompressed: number; compressed: number }> = []
  for (const { service, image } of [
    ...built.map((b) => ({ service: b.service, image: fullName(b.image) })),
    { service: 'Node base (stand-in)', image: nodeBase },
  ])
    sizes.push({ service, ...(await imageSize(topology, image)) })

  progress('running a minute before reading RSS')
  await sleep(60_000)
  const running: Record<string, number[]> = {}
  for (let reading = 0; reading < 3; reading++) {
    for (const service of SERVICES)
      (running[service] ??= []).push(
        Number(/VmRSS:\s+(\d+)/.exec(await topology.exec(service, 'cat', '/proc/1/status'))![1]) / 1024,
      )
    await sleep(10_000)
  }

  // The second processes' own vhost, on the topology's RabbitMQ, for compose.yaml's user.
  await topology.exec('queue', 'rabbitmqctl', '-q', 'add_vhost', 'idle')
  await topology.exec(
    'queue',
    'rabbitmqctl',
    '-q',
    'set_permissions',
    '-p',
    'idle',
    'convoy',
    '.*',
    '.*',
    '.*',
  )
  const starts: Record<string, { ms: number[]; idleMiB: number[] }> = {}
  for (const service of SERVICES)
    for (let round = 0; round < options.rounds; round++) {
      progress(`${service}: a second process, round ${round + 1}`)
      const [ms, kB] = (await topology.exec(service, 'bash', '-c', SECOND_PROCESS))
        .trim()
        .split(' ')
        .map(Number)
      const entry = (starts[service] ??= { ms: [], idleMiB: [] })
      entry.ms.push(ms!)
      entry.idleMiB.push(kB! / 1024)
    }

  const rows = SERVICES.map((service) => {
    const size = sizes.find((s) => s.service === service)!
    return [
      service,
      `${(size.uncompressed / MiB).toFixed(0)} MiB`,
      `${(size.compressed / MiB).toFixed(0)} MiB`,
      `${median(running[service]!).toFixed(0)} MiB`,
      `${median(starts[service]!.idleMiB).toFixed(0)} MiB`,
      `${median(starts[service]!.ms).toFixed(0)} ms`,
    ]
  })
  const base = sizes.at(-1)!
  rows.push([
    base.service,
    `${(base.uncompressed / MiB).toFixed(0)} MiB`,
    `${(base.compressed / MiB).toFixed(0)} MiB`,
    '—',
    '—',
    '—',
  ])
  await publish(
    'containers',
    markdownTable(
      ['image', 'size', 'compressed (as pushed)', 'RSS running', 'RSS idle (2nd process)', 'start → ready'],
      rows,
    ),
    { machine, timings: topology.timings, pulled, sizes, running, starts, rounds: options.rounds },
  )
})

/** Bytes as stored, and as pushed: the sum of the gzipped layers and the config. */
async function imageSize(topology: Topology, image: string) {
  const uncompressed = Number(
    (await topology.podman.podman(['image', 'inspect', '--format', '{{.Size}}', image])).trim(),
  )
  const dir = path.join(topology.podman.dir, 'pushed', image.replace(/[/:]/g, '_'))
  await mkdir(path.dirname(dir), { recursive: true })
  await topology.podman.podman(['push', '--compress', image, `dir:${dir}`])
  let compressed = 0
  for (const file of await readdir(dir))
    if (file !== 'manifest.json' && file !== 'version') compressed += (await stat(path.join(dir, file))).size
  return { uncompressed, compressed }
}
