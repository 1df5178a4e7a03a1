import { spawnSync } from 'node:child_process'

/** A compose service as `docker-compose config` resolves it, reduced to what the tests read. */
export interface ComposeService {
  image?: string
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> }
  environment: Record<string, string>
  /** Host ports published, e.g. 8080. */
  published: number[]
  /** Named volumes mounted. */
  volumes: string[]
  healthcheck?: { test: string[] | string }
  depends_on: Record<string, { condition?: string }>
  [field: string]: unknown
}

export interface ComposeResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs `docker-compose <args>` (Debian's package; .ci/run installs it), with exactly `env` added. */
export function dockerCompose(args: string[], env: Record<string, string | undefined>): ComposeResult {
  const result = spawnSync('docker-compose', args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (result.error)
    throw new Error(
      `docker-compose could not run (${result.error.message}): apt-get install docker-compose (.ci/run does)`,
    )
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/**
 * The resolved compose file (`docker-compose config`), as plain data. Compose v2 prints JSON
 * itself; Debian's v1 prints only YAML, which its own runtime (Python with PyYAML) turns into JSON.
 */
export function composeConfig(file: string, env: Record<string, string>): Record<string, ComposeService> {
  const version = dockerCompose(['version', '--short'], env).stdout.trim()
  const v1 = version.startsWith('1.')
  const config = dockerCompose(['-f', file, 'config', ...(v1 ? [] : ['--format', 'json'])], env)
  if (config.status !== 0) throw new Error(`docker-compose config failed: ${config.stderr}`)
  let json = config.stdout
  if (v1) {
    const converted = spawnSync(
      'python3',
      ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
      { input: config.stdout, encoding: 'utf8', timeout: 30_000 },
    )
    if (converted.status !== 0) throw new Error(`YAML to JSON failed: ${converted.stderr}`)
    json = converted.stdout
  }
  const parsed = JSON.parse(json) as { services: Record<string, Record<string, unknown>> }
  return Object.fromEntries(
    Object.entries(parsed.services).map(([name, service]) => [name, normalise(service)]),
  )
}

/** v1 and v2 print ports, volumes and environment differently; this is one shape for both. */
function normalise(service: Record<string, unknown>): ComposeService {
  const ports = (service.ports ?? []) as Array<string | { published?: string | number }>
  const volumes = (service.volumes ?? []) as Array<string | { type?: string; source?: string }>
  const environment = (service.environment ?? {}) as Record<string, unknown>
  return {
    ...service,
    // A variable without a value (`TILE_URL:`) is taken from the host; unset there, the container
    // has none (both versions print it as null).
    environment: Object.fromEntries(
      Object.entries(environment)
        .filter(([, value]) => value !== null)
        .map(([key, value]) => [key, String(value)]),
    ),
    // v1: "127.0.0.1:8080:8080/tcp"; v2: {published: "8080", target: 8080, ...}
    published: ports.map((port) =>
      Number(typeof port === 'string' ? port.split(':').at(-2) : port.published),
    ),
    // v1: "name:/path:rw"; v2: {type: "volume", source: "name", target: "/path"}
    volumes: volumes
      .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : volume.source))
      .filter((source): source is string => !!source && !source.startsWith('/') && !source.startsWith('.')),
    depends_on: (service.depends_on ?? {}) as ComposeService['depends_on'],
  }
}
