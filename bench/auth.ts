/**
 * Auth: how long a login takes at the shipped argon2id cost (one client, then four at once), that
 * an unknown user costs as much as a wrong password, and how the gateway's JWKS cache behaves
 * under load: a flood of tokens naming an unknown key must not turn into a flood of JWKS fetches.
 *
 *   node bench/auth.ts [--seconds=10] [--concurrency=4] [--flood-seconds=10] [--connections=32]
 *
 * Runs the stack topology (auth, tracker, gateway as their own processes) on a scratch database
 * and vhost; the auth service runs with its defaults (ARGON2_MEMORY_KIB, ARGON2_TIME_COST).
 */
import { generateKeyPair, SignJWT } from 'jose'
import { loadConfig } from '@convoy/platform/config'
import { TEST_ADMIN_PASSWORD } from '@convoy/system/testing'
import { Config as AuthConfig } from '../services/auth/src/config.ts'
import { parseArgs } from './lib/args.ts'
import { runBench } from './lib/cleanup.ts'
import { LatencyHistogram } from './lib/histogram.ts'
import { awaitQuietMachine, rssMiB, startCpuMeter } from './lib/proc.ts'
import { machineInfo, markdownTable, progress, publish } from './lib/report.ts'
import { metricValue } from './lib/services.ts'
import { benchStack } from './lib/stack.ts'
import { wrk } from './lib/wrk.ts'

const options = parseArgs({ seconds: 10, concurrency: 4, 'flood-seconds': 10, connections: 32, threads: 2 })
const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`

runBench(async () => {
  const machine = await machineInfo()
  const cost = loadConfig(AuthConfig, {})
  const stack = await benchStack()
  const auth = await stack.start('auth')
  await stack.start('position-tracker')
  const gateway = await stack.start('gateway')
  const loginUrl = `${gateway.url}/api/auth/login`
  // A user of its own for the latency runs: the admin's per-user failure limit is not in the way.
  const admin = `Bearer ${await stack.token()}`
  await fetch(`${gateway.url}/api/auth/users`, {
    method: 'POST',
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench password', role: 'viewer' }),
  })

  const login = async (authorization: string, expected: number, ip: string) => {
    const started = performance.now()
    const response = await fetch(loginUrl, {
      method: 'POST',
      headers: { authorization, 'x-forwarded-for': ip },
    })
    await response.arrayBuffer()
    if (response.status !== expected)
      throw new Error(`login answered ${response.status}, expected ${expected}`)
    return performance.now() - started
  }

  // 1. One client at a time, the three outcomes interleaved. Wrong-password runs are spread over
  //    usernames that exist, each under the per-user limit; every run comes from its own address.
  await awaitQuietMachine()
  progress(`logins one at a time for ${options.seconds} s`)
  const kinds = {
    success: {
      authorization: () => basic('bench', 'bench password'),
      status: 200,
      histogram: new LatencyHistogram(),
    },
    'wrong password': {
      authorization: () => basic('admin', 'not the password'),
      status: 401,
      histogram: new LatencyHistogram(),
    },
    'unknown user': {
      authorization: () => basic(`nobody${n}`, 'not the password'),
      status: 401,
      histogram: new LatencyHistogram(),
    },
  }
  let n = 0
  let wrong = 0
  const cpu = startCpuMeter({ auth: () => [auth.pid], gateway: () => [gateway.pid] })
  for (const deadline = Date.now() + options.seconds * 1000; Date.now() < deadline;) {
    for (const kind of Object.values(kinds)) {
      // Ten wrong passwords in a row would lock admin out for a while: a good login resets the count.
      if (kind === kinds['wrong password'] && wrong++ % 5 === 4) {
        await login(basic('admin', TEST_ADMIN_PASSWORD), 200, '10.9.9.9')
      }
      kind.histogram.add(await login(kind.authorization(), kind.status, `10.0.${(n >> 8) & 255}.${n & 255}`))
      n++
    }
  }
  const sequentialCpu = cpu.stop()
  const sequential = Object.entries(kinds).map(([kind, { histogram }]) => ({ kind, ...histogram.summary() }))

  // 2. Several clients at once: throughput and latency when logins queue for the CPU.
  await awaitQuietMachine()
  progress(`logins, ${options.concurrency} clients at once, for ${options.seconds} s`)
  const concurrent = new LatencyHistogram()
  const cpu2 = startCpuMeter({ auth: () => [auth.pid], gateway: () => [gateway.pid] })
  let peakRss = 0
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(auth.pid) ?? 0)), 250)
  const started = performance.now()
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, client) => {
      for (let i = 0; performance.now() - started < options.seconds * 1000; i++) {
        concurrent.add(await login(basic('bench', 'bench password'), 200, `10.1.${client}.${i & 255}`))
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  clearInterval(rssTimer)
  const concurrentCpu = cpu2.stop()

  // 3. The gateway's JWKS cache under a flood of tokens naming a key nobody has.
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const forged = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'no-such-key', typ: 'JWT' })
    .setSubject('mallory')
    .setIssuer('convoy')
    .setAudience('convoy-api')
    .setExpirationTime('1h')
    .sign(privateKey)
  // Requests auth has served on its JWKS route (the platform's RED histogram counts them).
  const jwksRequests = () =>
    metricValue(
      auth.opsUrl,
      'http_server_request_duration_seconds_count',
      'route="/auth/.well-known/jwks.json"',
    )
  const floods = []
  for (const [name, token] of [
    ['unknown kid (forged)', forged],
    ['valid token', admin.slice('Bearer '.length)],
  ] as const) {
    await awaitQuietMachine()
    progress(`${options['flood-seconds']} s of GET /api/vehicles with a ${name}`)
    const before = await jwksRequests()
    const result = await wrk(`${gateway.url}/api/vehicles`, {
      threads: options.threads,
      connections: options.connections,
      seconds: options['flood-seconds'],
      headers: { authorization: `Bearer ${token}` },
    })
    floods.push({
      token: name,
      requestsPerSec: Math.round(result.requestsPerSec),
      p99Ms: result.p99Ms,
      non2xx: result.errors,
      jwksFetches: (await jwksRequests()) - before,
    })
  }

  const table1 = markdownTable(
    ['login outcome (one client)', 'samples', 'p50', 'p99', 'max'],
    sequential.map((s) => [s.kind, s.samples, `${s.p50Ms} ms`, `${s.p99Ms} ms`, `${s.maxMs} ms`]),
  )
  const c = concurrent.summary()
  const table2 = markdownTable(
    ['clients', 'logins/s', 'p50', 'p99', 'CPU auth', 'auth RSS peak'],
    [
      [
        options.concurrency,
        Math.round(c.samples / elapsed),
        `${c.p50Ms} ms`,
        `${c.p99Ms} ms`,
        `${concurrentCpu.cores.auth}%`,
        `${Math.round(peakRss)} MiB`,
      ],
    ],
  )
  const table3 = markdownTable(
    ['token on every request', 'requests/s', 'p99', 'non-2xx', 'JWKS fetches by the gateway'],
    floods.map((f) => [f.token, f.requestsPerSec, `${f.p99Ms} ms`, f.non2xx, f.jwksFetches]),
  )
  const heading = `argon2id m=${cost.ARGON2_MEMORY_KIB} KiB, t=${cost.ARGON2_TIME_COST}, p=1; auth CPU one-at-a-time: ${sequentialCpu.cores.auth}%`
  await publish('auth', `${heading}\n\n${table1}\n\n${table2}\n\n${table3}`, {
    benchmark: 'auth',
    machine,
    options,
    argon2: { memoryKiB: cost.ARGON2_MEMORY_KIB, timeCost: cost.ARGON2_TIME_COST },
    sequential,
    concurrent: {
      clients: options.concurrency,
      loginsPerSec: c.samples / elapsed,
      ...c,
      cpu: concurrentCpu.cores,
      peakRssMiB: peakRss,
    },
    floods,
  })
})
