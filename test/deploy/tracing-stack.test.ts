/**
 * The trace stack (deploy/k8s/components/tracing), verified offline: the Collector's and
 * Jaeger's configurations hold together as their documentation says (./tracing-checks.ts), the
 * component wires them to the services, Prometheus and each other on the ports they listen on,
 * and the Collector's redaction removes the secrets that real spans carry: the stack topology
 * runs with tracing on, is sent requests with a token, a password and an address where a client
 * can put them, and every span it exports is put through the configured rules. Each check is
 * shown to catch a mistake seeded into a copy of the files. The manifests' schemas, references,
 * Pod Security and network edges are test/deploy/k8s.test.ts's.
 */
import assert from 'node:assert/strict'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { eventually, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@convoy/platform/testing'
import { SERVICES } from '@convoy/system'
import { login, startTestStack, TEST_ADMIN_PASSWORD, type TestStack } from '@convoy/system/testing'
import { build, find, workloads, type K8sObject } from './k8s-checks.ts'
import { edit } from './seeding.ts'
import {
  componentProblems,
  listeningEndpoints,
  pipelineProblems,
  readCollectorConfig,
  redactor,
  type CollectorConfig,
} from './tracing-checks.ts'

const K8S = fileURLToPath(new URL('../../deploy/k8s', import.meta.url))
const COMPONENT = path.join(K8S, 'components/tracing')
const COLLECTOR_CONFIG = path.join(COMPONENT, 'otel-collector-config.yaml')
const JAEGER_CONFIG = path.join(COMPONENT, 'jaeger-config.yaml')
/** Convoy's services: the Deployments its components select (docs/deploy.md), every one of them traced. */
const servicesOf = (objects: K8sObject[]) =>
  workloads(objects)
    .filter((w) => w.object.metadata.labels?.['app.kubernetes.io/component'] === 'service')
    .map((w) => w.namespace)

/** A copy of the component's folder, to seed a mistake into. */
function seededCopy(): { dir: string; collector: string; jaeger: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'convoy-tracing-'))
  cpSync(COMPONENT, dir, { recursive: true })
  return {
    dir,
    collector: path.join(dir, 'otel-collector-config.yaml'),
    jaeger: path.join(dir, 'jaeger-config.yaml'),
  }
}

const port = (endpoint: string) => Number(/:(\d+)$/.exec(endpoint)?.[1])
const containerPort = (objects: K8sObject[], app: string, name: string) =>
  workloads(objects)
    .find((w) => w.labels.app === app)
    ?.pod.containers.flatMap((c) => c.ports ?? [])
    .find((p) => p.name === name)?.containerPort
/** The container port a Service's port leads to, by the Service's host name and port. */
function serviceTarget(objects: K8sObject[], url: string): number | undefined {
  const { hostname, port: servicePort } = new URL(url.includes('://') ? url : `tcp://${url}`)
  const [name, namespace] = hostname.split('.')
  const service = find(objects, 'Service', namespace, name!)
  const spec = service?.spec as
    | { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> }
    | undefined
  const target = spec?.ports.find((p) => p.port === Number(servicePort))?.targetPort
  return typeof target === 'string' ? containerPort(objects, spec!.selector.app!, target) : target
}

/**
 * Whether the component connects what listens with what calls: the services' endpoint to the
 * Collector's receiver, the Collector's exporter to Jaeger's receiver, the ServiceMonitor and the
 * probes to the ports the configurations open.
 */
function wiringProblems(objects: K8sObject[], collector: CollectorConfig, jaeger: CollectorConfig): string[] {
  const problems: string[] = []
  const listening = new Map(listeningEndpoints(collector))
  const receives = port(listening.get('receiver otlp http') ?? '')
  const services = servicesOf(objects)
  if (services.length !== SERVICES.length)
    problems.push(`${services.length} services found, not Convoy's ${SERVICES.length}`)
  for (const service of services) {
    const data = (find(objects, 'ConfigMap', service, service)?.data ?? {}) as Record<string, string>
    const endpoint = data.OTEL_EXPORTER_OTLP_ENDPOINT
    if (!endpoint) {
      problems.push(`${service}: no OTEL_EXPORTER_OTLP_ENDPOINT`)
      continue
    }
    const target = serviceTarget(objects, endpoint)
    if (target !== receives)
      problems.push(
        `${service}: sends to ${endpoint}, which leads to port ${target}; the Collector receives OTLP/HTTP on ${receives}`,
      )
    if (data.OTEL_TRACES_SAMPLER !== 'parentbased_traceidratio')
      problems.push(`${service}: OTEL_TRACES_SAMPLER is ${data.OTEL_TRACES_SAMPLER}`)
    const ratio = Number(data.OTEL_TRACES_SAMPLER_ARG)
    if (!(ratio > 0 && ratio <= 1))
      problems.push(`${service}: OTEL_TRACES_SAMPLER_ARG ${data.OTEL_TRACES_SAMPLER_ARG} is not in (0, 1]`)
  }
  const exporter = (collector.exporters?.['otlp/jaeger'] ?? {}) as { endpoint?: string }
  const jaegerReceives = port(new Map(listeningEndpoints(jaeger)).get('receiver otlp grpc') ?? '')
  const reaches = serviceTarget(objects, exporter.endpoint ?? '')
  if (reaches !== jaegerReceives)
    problems.push(
      `the Collector exports to ${exporter.endpoint}, which leads to port ${reaches}; Jaeger receives OTLP/gRPC on ${jaegerReceives}`,
    )
  for (const [app, name, where, config] of [
    ['otel-collector', 'otlp-http', 'receiver otlp http', collector],
    ['otel-collector', 'metrics', 'exporter prometheus', collector],
    ['otel-collector', 'health', 'extension health_check', collector],
    ['jaeger', 'otlp-grpc', 'receiver otlp grpc', jaeger],
    ['jaeger', 'health', 'extension healthcheckv2', jaeger],
  ] as const) {
    const listens = port(new Map(listeningEndpoints(config)).get(where) ?? '')
    const declared = containerPort(objects, app, name)
    if (listens !== declared)
      problems.push(`${app}: its port ${name} is ${declared}, but its ${where} listens on ${listens}`)
  }
  return problems
}

describe("the Collector's and Jaeger's configurations", () => {
  const collector = readCollectorConfig(COLLECTOR_CONFIG)
  const jaeger = readCollectorConfig(JAEGER_CONFIG)

  test('every pipeline names defined components, memory_limiter first; Jaeger’s pipeline is whole', () => {
    assert.deepEqual(pipelineProblems(collector), [])
    assert.deepEqual(pipelineProblems(jaeger, { memoryLimiterFirst: false }), [])
  })

  test('the component types are the contrib distribution’s, the sampling policies known, every port reachable', () => {
    assert.deepEqual(componentProblems(collector), [])
  })

  test('span metrics count every span before the sampling: spanmetrics ends the receiving pipeline and starts the metrics one', () => {
    const pipelines = collector.service!.pipelines!
    assert.deepEqual(pipelines.traces!.exporters!.sort(), ['forward', 'spanmetrics'])
    assert.deepEqual(pipelines['traces/sampled']!.receivers, ['forward'])
    assert.ok(pipelines['traces/sampled']!.processors!.includes('tail_sampling'))
    assert.ok(!pipelines.traces!.processors!.includes('tail_sampling'))
    assert.deepEqual(pipelines.metrics!.receivers, ['spanmetrics'])
    assert.deepEqual(pipelines.metrics!.exporters, ['prometheus'])
  })

  test('tail sampling keeps the errors, the slow traces and a share of the rest', () => {
    const { policies } = collector.processors!.tail_sampling as {
      policies: Array<Record<string, Record<string, unknown>> & { type: string }>
    }
    assert.deepEqual(
      policies.map((p) => [p.type, p[p.type]]),
      [
        ['status_code', { status_codes: ['ERROR'] }],
        ['latency', { threshold_ms: 500 }],
        ['probabilistic', { sampling_percentage: 10 }],
      ],
    )
  })
})

describe('the component in a build', () => {
  let workdir: string
  let objects: K8sObject[]
  before(() => {
    workdir = mkdtempSync(path.join(tmpdir(), 'convoy-k8s-tracing-'))
    cpSync(K8S, workdir, { recursive: true })
    objects = buildWith(workdir)
  })
  after(() => rmSync(workdir, { recursive: true, force: true }))

  /** The aws overlay (it needs no generated Secrets) with the component added as a user adds it. */
  function buildWith(root: string): K8sObject[] {
    const dir = path.join(root, 'overlays/aws+tracing')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      'resources:\n  - ../aws\ncomponents:\n  - ../../components/tracing\n',
    )
    return build(dir)
  }

  test('the ConfigMaps hold the configuration files as they are in the repository', () => {
    const configOf = (name: string) =>
      (
        objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${name}-`))?.data as
          Record<string, string> | undefined
      )?.['config.yaml']
    assert.equal(configOf('otel-collector'), readFileSync(COLLECTOR_CONFIG, 'utf8'))
    assert.equal(configOf('jaeger'), readFileSync(JAEGER_CONFIG, 'utf8'))
  })

  test('every service sends to the Collector, the Collector to Jaeger, and each port is the one listened on', () => {
    assert.deepEqual(
      wiringProblems(objects, readCollectorConfig(COLLECTOR_CONFIG), readCollectorConfig(JAEGER_CONFIG)),
      [],
    )
  })

  test('one Collector (tail sampling sees whole traces) and one Jaeger (its memory is the store)', () => {
    for (const name of ['otel-collector', 'jaeger']) {
      const deployment = find(objects, 'Deployment', 'tracing', name)
      assert.equal((deployment?.spec as { replicas?: number }).replicas, 1, name)
    }
    assert.ok(
      !objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.namespace === 'tracing'),
    )
  })

  test('a seeded mistake: the receiver moved to another port than the container’s', () => {
    const copy = seededCopy()
    try {
      edit(copy.collector, 'endpoint: 0.0.0.0:4318', 'endpoint: 0.0.0.0:4319')
      assert.match(
        wiringProblems(objects, readCollectorConfig(copy.collector), readCollectorConfig(JAEGER_CONFIG)).join(
          '\n',
        ),
        /gateway: sends to http:\/\/otel-collector\.tracing\.svc\.cluster\.local:4318, which leads to port 4318; the Collector receives OTLP\/HTTP on 4319/,
      )
      edit(copy.jaeger, 'endpoint: 0.0.0.0:4317', 'endpoint: 0.0.0.0:14317')
      assert.match(
        wiringProblems(objects, readCollectorConfig(COLLECTOR_CONFIG), readCollectorConfig(copy.jaeger)).join(
          '\n',
        ),
        /Jaeger receives OTLP\/gRPC on 14317/,
      )
    } finally {
      rmSync(copy.dir, { recursive: true, force: true })
    }
  })
})

describe('the checks catch seeded mistakes in the configuration', () => {
  /** The problems both checks find in a copy of the Collector's configuration with `from` made `to`. */
  function seeded(from: string, to: string): string {
    const copy = seededCopy()
    try {
      edit(copy.collector, from, to)
      const config = readCollectorConfig(copy.collector)
      return [...pipelineProblems(config), ...componentProblems(config)].join('\n')
    } finally {
      rmSync(copy.dir, { recursive: true, force: true })
    }
  }

  test('memory_limiter after another processor', () => {
    assert.match(
      seeded(
        'processors: [memory_limiter, tail_sampling, batch]',
        'processors: [tail_sampling, memory_limiter, batch]',
      ),
      /pipeline traces\/sampled: memory_limiter is not its first processor/,
    )
  })

  test('a processor a pipeline names but nothing defines', () => {
    assert.match(
      seeded('processors: [memory_limiter, batch]', 'processors: [memory_limiter, batch/metrics]'),
      /pipeline metrics: processor batch\/metrics is not defined/,
    )
  })

  test('span metrics exported but received by no metrics pipeline', () => {
    assert.match(
      seeded('receivers: [spanmetrics]', 'receivers: [otlp]'),
      /connector spanmetrics: no pipeline receives from it/,
    )
  })

  test('a tail sampling policy of an unknown type, and a share over 100%', () => {
    const problems = seeded('type: status_code', 'type: status')
    assert.match(problems, /policy errors: unknown policy type status/)
    assert.match(
      seeded('sampling_percentage: 10', 'sampling_percentage: 1000'),
      /sampling_percentage must be in/,
    )
  })

  test('a receiver on localhost, which no Service reaches', () => {
    assert.match(
      seeded('endpoint: 0.0.0.0:4318', 'endpoint: localhost:4318'),
      /receiver otlp http: listens on localhost:4318, reachable only from inside the pod/,
    )
  })

  test('a component type not in the contrib distribution', () => {
    assert.match(
      seeded('  redaction:\n    allow_all_keys', '  redactor:\n    allow_all_keys'),
      /processor redactor: type redactor is not in the contrib distribution/,
    )
  })
})

/** OTLP's span kinds. */
const INTERNAL = 1
const SERVER = 2
const CLIENT = 3

/** A secret each request carries, where a client can put it, and the span attributes it reached. */
interface Exposure {
  service: string
  span: string
  key: string
  secret: string
}

describe("redaction of real spans: the stack's services, traced, sent secrets", () => {
  let receiver: OtlpReceiver
  let system: TestStack
  let token: string
  /** Each secret sent, by what it is. */
  const secrets: Record<string, string> = {}

  before(async () => {
    receiver = await startOtlpReceiver()
    system = await startTestStack({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    })
    token = await login(system.url)
    secrets.token = token
    secrets.password = 'hunter2-in-the-query'
    secrets.email = 'jane.driver@example.com'
    secrets.cookie = 'session-cookie-value-42'
    secrets['admin password'] = TEST_ADMIN_PASSWORD
    secrets['login address'] = 'jane.login@example.com'
    // A failed login in the name of an e-mail address (Basic credentials, as the web app sends).
    const refused = await fetch(`${system.url}/api/auth/login`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${secrets['login address']}:wrong`).toString('base64')}`,
      },
    })
    assert.equal(refused.status, 401)
    // A request with the credentials a client may put in its URL, its headers and its cookies.
    const query = new URLSearchParams({
      access_token: token,
      email: secrets.email,
      password: secrets.password,
    })
    const response = await fetch(`${system.url}/api/vehicles?${query.toString()}`, {
      headers: { authorization: `Bearer ${token}`, cookie: `session=${secrets.cookie}` },
    })
    assert.equal(response.status, 200, await response.clone().text())
    // Wait for the request's spans in the tracker (the end of its way) and the refused login's in auth.
    // Each service's spans of the request: its SERVER span, Fastify's `request` span, and the
    // gateway's CLIENT span to the tracker (exported in batches, perhaps not together).
    const spanOf = (service: string, kind: number, name: string, path?: string) =>
      receiver
        .spans()
        .some(
          (s) =>
            s.service === service &&
            s.kind === kind &&
            s.name === name &&
            (path === undefined || s.attributes['url.path'] === path),
        )
    await eventually(
      () =>
        spanOf('gateway', SERVER, 'GET /api/vehicles') &&
        spanOf('gateway', INTERNAL, 'request') &&
        spanOf('gateway', CLIENT, 'GET', '/vehicles') &&
        spanOf('position-tracker', SERVER, 'GET /vehicles') &&
        spanOf('position-tracker', INTERNAL, 'request') &&
        spanOf('auth', SERVER, 'POST /auth/login'),
      'the spans of the request (the gateway, the tracker) and of the refused login (auth)',
      20_000,
    )
  })

  after(async () => {
    await system?.close()
    await receiver?.close()
  })

  /** Every attribute of every span whose value holds one of the secrets. */
  function exposures(spans: ReceivedSpan[], redact = (a: Record<string, unknown>) => a): Exposure[] {
    return spans.flatMap((span) =>
      Object.entries(redact(span.attributes)).flatMap(([key, value]) =>
        Object.entries(secrets)
          .filter(([, secret]) =>
            [secret, encodeURIComponent(secret)].some((form) => JSON.stringify(value).includes(form)),
          )
          .map(([what]) => ({ service: span.service, span: span.name, key, secret: what })),
      ),
    )
  }

  test('the spans carry the secrets a client sends in its URL, and none is left once the Collector has redacted them', () => {
    const spans = receiver.spans()
    const found = exposures(spans)
    // What the instrumentations record (the URL and its query, in the server's and the client's
    // spans), not a guess: these are the attributes the rules must cover.
    const keys = [...new Set(found.map((e) => `${e.key} (${e.secret})`))].sort()
    assert.deepEqual(
      [...new Set(found.map((e) => e.key))].sort(),
      ['url.full', 'url.path', 'url.query'],
      'the attributes the rules must cover',
    )
    assert.ok(
      found.some((e) => e.service === 'gateway'),
      JSON.stringify(keys),
    )
    assert.ok(
      found.some((e) => e.service === 'position-tracker'),
      'the gateway passes the query on',
    )
    const redact = redactor(readCollectorConfig(COLLECTOR_CONFIG))
    assert.deepEqual(exposures(spans, redact), [], `before: ${keys.join(', ')}`)
    // The rules take the secrets, not the request: the path is still there to search by.
    const server = spans.find(
      (s) => s.service === 'gateway' && s.kind === SERVER && s.attributes['url.path'] === '/api/vehicles',
    )!
    assert.deepEqual(
      [redact(server.attributes)['url.path'], redact(server.attributes)['url.query']],
      ['/api/vehicles', 'access_token=[REDACTED]&email=[REDACTED]&password=[REDACTED]'],
    )
  })

  test('neither the headers nor a login’s credentials are recorded by the instrumentations', () => {
    const keys = new Set(receiver.spans().flatMap((s) => Object.keys(s.attributes)))
    assert.deepEqual(
      [...keys].filter((key) => /header|cookie|password|user\.email|enduser/i.test(key)),
      [],
    )
    assert.deepEqual(
      exposures(receiver.spans()).filter((e) =>
        ['admin password', 'login address', 'cookie'].includes(e.secret),
      ),
      [],
    )
  })

  test('were an instrumentation told to record headers or an address, the rules would take them', () => {
    const redact = redactor(readCollectorConfig(COLLECTOR_CONFIG))
    const redacted = redact({
      'http.request.header.authorization': [`Bearer ${token}`],
      'http.request.header.cookie': [`session=${secrets.cookie}`],
      'http.response.header.set-cookie': ['refresh=abc'],
      'user.email': secrets.email,
      'exception.message': `login refused for ${secrets['login address']} with Basic amFuZTpwYXNz`,
      'http.route': '/api/vehicles',
    })
    assert.deepEqual(Object.keys(redacted).sort(), ['exception.message', 'http.route', 'user.email'])
    assert.equal(
      redacted['user.email'],
      redact({ 'user.email': secrets.email })['user.email'],
      'a stable hash',
    )
    assert.doesNotMatch(JSON.stringify(redacted), /example\.com|amFuZTpwYXNz/)
  })

  test("a seeded mistake: no rule for @fastify/otel's url.path, a password reaches Jaeger", () => {
    const copy = seededCopy()
    try {
      edit(copy.collector, /^ {10}- replace_pattern\(attributes\["url\.path"\].*\n/m, '')
      const leaked = exposures(receiver.spans(), redactor(readCollectorConfig(copy.collector)))
      assert.ok(
        leaked.some((e) => e.key === 'url.path' && e.secret === 'password'),
        JSON.stringify(leaked),
      )
    } finally {
      rmSync(copy.dir, { recursive: true, force: true })
    }
  })

  test('a seeded mistake: the address rule dropped, an e-mail address reaches Jaeger', () => {
    const copy = seededCopy()
    try {
      edit(copy.collector, /^ {6}- '\[A-Za-z0-9\._%\+-\]\+\(\?:@.*\n/m, '')
      edit(copy.collector, /\|email\)=\)/g, ')=)')
      const leaked = exposures(receiver.spans(), redactor(readCollectorConfig(copy.collector)))
      assert.ok(
        leaked.some((e) => e.secret === 'email'),
        JSON.stringify(leaked),
      )
    } finally {
      rmSync(copy.dir, { recursive: true, force: true })
    }
  })
})
