/**
 * The log stack (deploy/k8s/components/logging), verified offline: no cluster, no Fluent Bit and
 * no OpenSearch run here. Its manifests build and validate in both overlays like the rest of
 * deploy/; Fluent Bit's configuration parses and names only parsers and plugins that exist; and
 * real log lines — written by every service of the stack topology while a user logs in, fails to,
 * is locked out, reads vehicles, uploads a broken video and a malformed message is dead-lettered —
 * are taken through the configuration's own rules into the documents OpenSearch would receive,
 * which must fit the index template, and which the saved searches and visualizations must find.
 * Each check is also shown to catch a mistake seeded into a copy.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openAsBlob,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { positionReported } from '@convoy/contracts'
import { connectBroker, untypedTopic } from '@convoy/platform/messaging'
import {
  eventually,
  makeTestVideo,
  startOtlpReceiver,
  testLogger,
  type OtlpReceiver,
} from '@convoy/platform/testing'
import { login, startTestStack, type TestStack } from '@convoy/system/testing'
import {
  allowedEdges,
  build,
  find,
  policyProblems,
  referenceProblems,
  schemaProblems,
  secretKeys,
  workloads,
  type K8sObject,
} from './k8s-checks.ts'
import {
  configProblems,
  criLines,
  FLUENT_BIT_EXCEPTIONS,
  LOGGING_EDGES,
  mappingProblems,
  parseFluentBitConfig,
  parseNdjson,
  savedObjectFieldProblems,
  savedObjectReferenceProblems,
  setting,
  ship,
  type Container,
  type Doc,
  type IndexTemplate,
  type Section,
} from './logging-checks.ts'
import { edit } from './seeding.ts'

const K8S = fileURLToPath(new URL('../../deploy/k8s', import.meta.url))
const LOGGING = path.join(K8S, 'components/logging')
const read = (file: string) => readFileSync(path.join(LOGGING, file), 'utf8')
const sections = (text: string): Section[] => {
  const { sections, problems } = parseFluentBitConfig(text)
  assert.deepEqual(problems, [])
  return sections
}
const config = () => sections(read('fluent-bit/fluent-bit.conf'))
const parsers = () => sections(read('fluent-bit/parsers.conf'))
const template = () => JSON.parse(read('opensearch/index-template.json')) as IndexTemplate
const savedObjects = () => parseNdjson(read('dashboards/saved-objects.ndjson'))
/** The logging stack's own pods, by their `app` label. */
const LOGGING_APPS = [
  'fluent-bit',
  'opensearch',
  'opensearch-dashboards',
  'opensearch-setup',
  'opensearch-dashboards-import',
]
const loggingEdges = (objects: K8sObject[]) =>
  [...allowedEdges(objects)]
    .filter((edge) => !edge.includes('→ kube-dns:'))
    .filter((edge) => LOGGING_APPS.some((app) => edge.startsWith(`${app} →`) || edge.includes(`→ ${app}:`)))
    .sort()

/** A copy of deploy/k8s with the local overlay's secrets made by its script, as a user builds it. */
let workdir: string
before(() => {
  workdir = mkdtempSync(path.join(tmpdir(), 'convoy-logging-'))
  cpSync(K8S, workdir, { recursive: true })
  execFileSync('sh', [path.join(workdir, 'overlays/local/make-secrets.sh')], { stdio: 'ignore' })
  // The aws overlay with the log stack, as an administrator applies the two (docs/logging.md).
  const both = path.join(workdir, 'overlays/aws+logging')
  mkdirSync(both)
  writeFileSync(path.join(both, 'kustomization.yaml'), 'resources:\n  - ../aws\n  - ../aws/logging\n')
})
after(() => rmSync(workdir, { recursive: true, force: true }))

const BUILDS = { local: 'overlays/local', aws: 'overlays/aws+logging' }

for (const [overlay, dir] of Object.entries(BUILDS)) {
  describe(`the log stack in the ${overlay} overlay`, () => {
    let objects: K8sObject[]
    before(() => {
      objects = build(path.join(workdir, dir))
    })

    test('builds and validates: schemas, references, policies like the rest of deploy/', async () => {
      assert.deepEqual(await schemaProblems(objects), [])
      assert.deepEqual(referenceProblems(objects), [])
      // Fluent Bit breaks exactly what its namespace's comment says, and nothing else does.
      assert.deepEqual(policyProblems(objects), FLUENT_BIT_EXCEPTIONS)
      assert.equal(
        find(objects, 'Namespace', undefined, 'fluent-bit')?.metadata.labels?.[
          'pod-security.kubernetes.io/enforce'
        ],
        'privileged',
      )
    })

    test('the NetworkPolicies allow exactly the log stack’s edges', () => {
      assert.deepEqual(loggingEdges(objects), [...LOGGING_EDGES].sort())
    })

    test('every Secret the stack reads has the keys it reads, with the same names in both overlays', () => {
      const keys = (namespace: string, name: string) =>
        [...(secretKeys(objects, namespace, name) ?? [])].sort()
      assert.deepEqual(keys('logging', 'opensearch-credentials'), [
        'admin-password',
        'dashboards-password',
        'fluentbit-password',
      ])
      assert.deepEqual(keys('logging', 'opensearch-tls'), [
        'admin.crt',
        'admin.key',
        'ca.crt',
        'tls.crt',
        'tls.key',
      ])
      assert.deepEqual(keys('fluent-bit', 'opensearch-fluent-bit'), ['ca.crt', 'password'])
    })

    test('Fluent Bit: least privilege, its configuration as in the repository, mounted where it names it', () => {
      const role = find(objects, 'ClusterRole', undefined, 'fluent-bit')!
      assert.deepEqual(role.rules, [
        { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
      ])
      const agent = workloads(objects).find((w) => w.object.kind === 'DaemonSet')!
      const container = agent.pod.containers[0]!
      const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.mountPath, m.name]))
      const volume = (name: string | undefined) => agent.pod.volumes?.find((v) => v.name === name)
      // The ConfigMap holds the repository's files, mounted at the folder the configuration names.
      const configMap = volume(mounts.get('/fluent-bit/etc'))?.configMap as { name: string }
      const data = find(objects, 'ConfigMap', 'fluent-bit', configMap.name)!.data as Record<string, string>
      assert.equal(data['fluent-bit.conf'], read('fluent-bit/fluent-bit.conf'))
      assert.equal(data['parsers.conf'], read('fluent-bit/parsers.conf'))
      const service = config().find((s) => s.name === 'SERVICE')!
      assert.equal(path.dirname(setting(service, 'Parsers_File')!), '/fluent-bit/etc')
      assert.ok((container as { args?: string[] }).args?.includes('--config=/fluent-bit/etc/fluent-bit.conf'))
      // Its disk buffer and tail positions on the node (hostPath), so they outlive the pod.
      const state = volume(mounts.get('/var/fluent-bit/state'))
      assert.equal((state?.hostPath as { path: string }).path, '/var/fluent-bit/state')
      const input = config().find((s) => s.name === 'INPUT')!
      for (const file of [setting(service, 'storage.path')!, setting(input, 'DB')!])
        assert.ok(file.startsWith('/var/fluent-bit/state/'), file)
      // Every ${VARIABLE} of the configuration is in the container's environment.
      const variables = [...read('fluent-bit/fluent-bit.conf').matchAll(/\$\{(\w+)\}/g)].map((m) => m[1])
      for (const variable of variables)
        assert.ok(
          container.env?.some((e) => e.name === variable),
          variable,
        )
      const output = config().find((s) => s.name === 'OUTPUT')!
      assert.ok(mounts.has(path.dirname(setting(output, 'tls.ca_file')!)))
      // Prometheus scrapes the HTTP server's port at its Prometheus path.
      const port = container.ports!.find((p) => p.containerPort === Number(setting(service, 'HTTP_Port')))
      const monitor = find(objects, 'PodMonitor', 'fluent-bit', 'fluent-bit')!
      assert.deepEqual((monitor.spec as { podMetricsEndpoints: unknown[] }).podMetricsEndpoints, [
        { port: port?.name, path: '/api/v2/metrics/prometheus', interval: '30s' },
      ])
      assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack')
    })

    test('OpenSearch: an explicit heap within its memory limit, one node, its volume on gp3 on AWS', () => {
      const opensearch = workloads(objects).find(
        (w) => w.object.kind === 'StatefulSet' && w.labels.app === 'opensearch',
      )!
      const container = opensearch.pod.containers[0]!
      const options = container.env?.find((e) => e.name === 'OPENSEARCH_JAVA_OPTS')?.value ?? ''
      const [, xms, xmx] = /-Xms(\d+)g -Xmx(\d+)g/.exec(options) ?? []
      assert.ok(xms && xms === xmx, `a fixed heap: ${options}`)
      assert.equal(container.resources?.limits?.memory, `${2 * Number(xmx)}Gi`, 'half the memory is the heap')
      assert.equal((opensearch.object.spec as { replicas: number }).replicas, 1)
      assert.match(read('opensearch/opensearch.yml'), /^discovery\.type: single-node$/m)
      const claim = (
        opensearch.object.spec as { volumeClaimTemplates: Array<{ spec: { storageClassName?: string } }> }
      ).volumeClaimTemplates[0]!.spec
      assert.equal(claim.storageClassName, overlay === 'aws' ? 'gp3' : undefined)
    })
  })
}

describe('Fargate: the simulator’s logs through EKS’s own log router (aws)', () => {
  test('the ConfigMap EKS reads: its name, namespace, size, and the same Merge_Log', () => {
    const objects = build(path.join(workdir, 'overlays/aws/logging'))
    const namespace = find(objects, 'Namespace', undefined, 'aws-observability')!
    assert.equal(namespace.metadata.labels?.['aws-observability'], 'enabled')
    const data = find(objects, 'ConfigMap', 'aws-observability', 'aws-logging')!.data as Record<
      string,
      string
    >
    assert.ok(Object.values(data).join('').length <= 5300, 'EKS takes at most 5300 characters')
    const filter = sections(data['filters.conf']!)[0]!
    assert.deepEqual([setting(filter, 'Name'), setting(filter, 'Merge_Log')], ['kubernetes', 'On'])
    const output = sections(data['output.conf']!)[0]!
    assert.equal(setting(output, 'Name'), 'cloudwatch_logs')
    // The pod execution role may write that log group, and no other (deploy/terraform/fargate.tf).
    const terraform = readFileSync(path.join(K8S, '../terraform/fargate.tf'), 'utf8')
    const groups = [...terraform.matchAll(/:log-group:([^:"]+)/g)].map((m) => m[1])
    assert.deepEqual([...new Set(groups)], [setting(output, 'log_group_name')])
  })
})

describe('Fluent Bit’s configuration', () => {
  test('parses, and every plugin, parser and multiline parser it names exists', () => {
    assert.deepEqual(configProblems(config(), parsers()), [])
    // `cri` is built into Fluent Bit; kube-tag is parsers.conf's.
    const input = config().find((s) => s.name === 'INPUT')!
    assert.equal(setting(input, 'multiline.parser'), 'cri')
  })
})

describe('real log lines, through the configuration, into the index template and the saved objects', () => {
  let dir: string
  let receiver: OtlpReceiver
  let system: TestStack
  let lines: string[]
  let labels: Record<string, Record<string, string>>
  let docs: Doc[]

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'convoy-logging-lines-'))
    const logFile = path.join(dir, 'services.log')
    ;[receiver] = await Promise.all([
      startOtlpReceiver({ keep: false }),
      makeTestVideo(path.join(dir, 'clip.mp4'), { seconds: 1 }),
    ])
    // Every service's lines in one file, as each would write them to its container's stdout. debug:
    // every line a service can write at any level, the request lines among them; traced, so that
    // lines carry trace_id and span_id.
    const log = openSync(logFile, 'w')
    try {
      system = await startTestStack({
        stdio: log,
        env: {
          LOG_LEVEL: 'debug',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        },
        serviceEnv: {
          // Two failures lock a username out, so that the lockout's line is written.
          auth: { LOGIN_MAX_FAILURES_PER_USER: '2' },
          // Every conversion times out, at once and for good: the failure's line is written.
          converter: { CONVERSION_TIMEOUT_MS: '1', MAX_ATTEMPTS: '1' },
        },
      })
    } finally {
      closeSync(log)
    }
    const written = () => readFileSync(logFile, 'utf8')
    try {
      await drive(system)
      for (const msg of ['login locked out', 'conversion failed', 'message dead-lettered'])
        await eventually(() => written().includes(`"msg":"${msg}"`), `a line "${msg}"`, 60_000)
    } finally {
      await system.close()
    }
    lines = written()
      .split('\n')
      .filter((line) => line !== '')

    // Each service's pods carry the labels of its pod template, as built for the cluster.
    const objects = build(path.join(workdir, 'overlays/local'))
    labels = Object.fromEntries(
      workloads(objects)
        .filter((w) => w.object.kind === 'Deployment')
        .map((w) => [w.namespace, { ...w.labels, 'pod-template-hash': '7d9c8b6f5' }]),
    )
    docs = shipAll(lines, config(), parsers())
  })
  after(async () => {
    await receiver?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /**
   * What makes the lines: a login, three failed ones (the third refused by the lockout the second
   * began), vehicles read, one that does not exist, a video whose conversion times out, and a
   * malformed position that position-tracker dead-letters.
   */
  async function drive(system: TestStack) {
    const token = await login(system.url)
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    })
    for (let attempt = 0; attempt < 3; attempt++)
      await fetch(`${system.url}/api/auth/login`, {
        method: 'POST',
        headers: basic('mallory', 'not the password'),
      })
    const api = (url: string, body?: FormData) =>
      fetch(`${system.url}/api${url}`, {
        method: body ? 'POST' : 'GET',
        body,
        headers: { authorization: `Bearer ${token}` },
      })
    assert.equal((await api('/vehicles')).status, 200)
    await api('/vehicles/no-such-vehicle')
    const form = new FormData()
    form.append('file', await openAsBlob(path.join(dir, 'clip.mp4')), 'clip.mp4')
    const upload = await api('/media', form)
    assert.equal(upload.status, 202, await upload.text())
    const broker = connectBroker({ url: system.amqpUrl, log: testLogger() })
    try {
      await broker.publish(untypedTopic(positionReported), { vehicle: 'Van', lat: 'north' })
    } finally {
      await broker.close()
    }
  }

  /**
   * The lines of each service in its own container's file, each file through the configuration.
   * The runtime cuts lines at 16 KiB; here at 200 characters, so that real lines are cut and
   * joined again by the `cri` parser. A line that is not JSON (a runtime's warning on stderr) goes
   * with the service of the line before it.
   */
  function shipAll(all: string[], config: Section[], parsers: Section[]): Doc[] {
    const byService = new Map<string, string[]>()
    let service = 'gateway'
    for (const line of all) {
      service = /^\{.*"service":"([\w-]+)"/.exec(line)?.[1] ?? service
      byService.set(service, [...(byService.get(service) ?? []), line])
    }
    return [...byService].flatMap(([name, own]) => {
      const container: Container = {
        pod: `${name}-7d9c8b6f5-x2x9k`,
        namespace: name,
        container: name,
        labels: labels[name] ?? {},
      }
      return ship(criLines(own, new Date(), 200), container, config, parsers)
    })
  }

  test('every line becomes one document, its JSON fields merged, with its pod', () => {
    assert.equal(docs.length, lines.length)
    const json = docs.filter((doc) => typeof doc.msg === 'string')
    assert.ok(json.length > 0.9 * docs.length, 'the lines are pino’s JSON')
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a))
    assert.ok(longest.length > 200, 'a line long enough to be cut')
    assert.ok(
      docs.some((doc) => doc.msg === (JSON.parse(longest) as { msg: string }).msg),
      'and joined again',
    )
    for (const doc of json) {
      assert.equal((doc.kubernetes as { namespace_name: string }).namespace_name, doc.service)
      assert.ok(!('log' in doc), 'Keep_Log Off: the raw line is gone once merged')
    }
    const fields = new Set(json.flatMap((doc) => Object.keys(doc)))
    for (const field of [
      'time',
      'level',
      'service',
      'msg',
      'reqId',
      'trace_id',
      'span_id',
      'queue',
      'messageId',
      'id',
      'status',
      'username',
      'scope',
    ])
      assert.ok(fields.has(field), field)
  })

  test('every field maps to a type the index template declares, with no conflict', () => {
    assert.deepEqual(mappingProblems(docs, template()), [])
  })

  test('every saved search and visualization uses fields the lines have, and each search finds some', () => {
    const objects = savedObjects()
    assert.deepEqual(savedObjectReferenceProblems(objects), [])
    assert.deepEqual(savedObjectFieldProblems(objects, docs, template()), [])
    assert.deepEqual(
      objects.map((o) => `${o.type} ${o.id}`),
      [
        'index-pattern convoy-logs',
        'search convoy-errors-by-service',
        'search convoy-one-request',
        'search convoy-dead-lettered',
        'search convoy-failed-logins',
        'search convoy-failed-conversions',
        'visualization convoy-log-volume',
        'visualization convoy-errors-per-service',
        'dashboard convoy-logs',
      ],
    )
  })

  describe('the checks catch the classic mistakes', () => {
    /** The configuration with one line changed (seeded in a copy of the file). */
    const seeded = (file: string, from: string | RegExp, to: string) => {
      const copy = path.join(dir, path.basename(file))
      writeFileSync(copy, read(file))
      edit(copy, from, to)
      return readFileSync(copy, 'utf8')
    }

    test('labels shipped with their dots: `app` and `app.kubernetes.io/name` conflict', () => {
      const broken = sections(seeded('fluent-bit/fluent-bit.conf', /Replace_Dots +On/, 'Replace_Dots Off'))
      assert.match(
        mappingProblems(shipAll(lines, broken, parsers()), template()).join('\n'),
        /kubernetes\.labels\.app: seen both as an object and as a string/,
      )
    })

    test('Merge_Log off: the JSON stays one string, and the saved objects find none of their fields', () => {
      const broken = sections(seeded('fluent-bit/fluent-bit.conf', /Merge_Log +On/, 'Merge_Log Off'))
      const problems = savedObjectFieldProblems(savedObjects(), shipAll(lines, broken, parsers()), template())
      assert.match(problems.join('\n'), /search convoy-dead-lettered: uses queue, which no log line has/)
    })

    test('a parser, a multiline parser and a plugin that do not exist; a Match that takes nothing; an unbounded buffer', () => {
      let text = seeded(
        'fluent-bit/fluent-bit.conf',
        'Regex_Parser              kube-tag',
        'Regex_Parser kube_tag',
      )
      text = text.replace('multiline.parser          cri', 'multiline.parser cri, containerd')
      text = text.replace('Name                      opensearch', 'Name elasticsearch')
      text = text.replace(
        'Match                     kube.*\n    Kube_Tag_Prefix',
        'Match kubernetes.*\n    Kube_Tag_Prefix',
      )
      text = text.replace(/\n +storage\.total_limit_size +5G/, '')
      const problems = configProblems(sections(text), parsers()).join('\n')
      assert.match(problems, /\[FILTER\] kubernetes: Regex_Parser kube_tag is in no \[PARSER\]/)
      assert.match(problems, /\[INPUT\] tail: multiline parser containerd is neither built in nor defined/)
      assert.match(problems, /\[OUTPUT\] elasticsearch: no such output plugin/)
      assert.match(problems, /\[FILTER\] kubernetes: Match kubernetes\.\* takes no input's records/)
      assert.match(problems, /no storage\.total_limit_size: the disk buffer has no bound/)
    })

    test('a template that maps `time` as a number, one that leaves `status` to the first value, one without dynamic templates', () => {
      const numeric = JSON.parse(
        seeded(
          'opensearch/index-template.json',
          /"time": \{\s*"type": "date"\s*\}/,
          '"time": { "type": "long" }',
        ),
      ) as IndexTemplate
      assert.match(mappingProblems(docs, numeric).join('\n'), /^time: a string, mapped as long$/m)
      // `status` is a migration's ("Success") and a request's (200): a keyword takes both.
      const undeclared = template()
      delete undeclared.template.mappings.properties.status
      assert.match(
        mappingProblems(docs, undeclared).join('\n'),
        /^status: seen both as a number and as a string$/m,
      )
      const bare = template()
      delete bare.template.mappings.dynamic_templates
      assert.match(mappingProblems(docs, bare).join('\n'), /: a string the template declares no type for/)
    })

    test('a saved search on a field no line has, one that finds nothing, a sort on text, a dangling reference', () => {
      const text = read('dashboards/saved-objects.ndjson')
        .replace(
          '\\"msg:\\\\\\"message dead-lettered\\\\\\"\\"',
          '\\"msg:\\\\\\"message deadlettered\\\\\\"\\"',
        )
        .replace(
          '"columns":["service","msg","reqId","trace_id","span_id"]',
          '"columns":["service","msg","reqid","trace_id","span_id"]',
        )
        .replace('"sort":[["@timestamp","asc"]]', '"sort":[["msg","asc"]]')
        .replace('"id":"convoy-log-volume"}', '"id":"convoy-log-volumes"}')
      assert.notEqual(text, read('dashboards/saved-objects.ndjson'))
      const objects = parseNdjson(text)
      const problems = savedObjectFieldProblems(objects, docs, template()).join('\n')
      assert.match(problems, /search convoy-one-request: uses reqid, which no log line has/)
      assert.match(problems, /search convoy-dead-lettered: its query .* finds no log line/)
      assert.match(problems, /search convoy-one-request: sorts or aggregates on msg, not aggregatable/)
      assert.match(
        savedObjectReferenceProblems(objects).join('\n'),
        /dashboard convoy-logs: refers to visualization convoy-log-volumes, not in the file/,
      )
    })
  })
})

describe('the manifests’ checks catch the classic mistakes of a node agent', () => {
  let objects: K8sObject[]
  before(() => {
    objects = build(path.join(workdir, 'overlays/local'))
  })

  test('Fluent Bit on the host network, with a writable root: more than its documented exceptions', () => {
    const broken = structuredClone(objects)
    const agent = broken.find((o) => o.kind === 'DaemonSet')!
    const pod = (
      agent.spec as {
        template: { spec: { hostNetwork?: boolean; containers: Array<{ securityContext: object }> } }
      }
    ).template.spec
    pod.hostNetwork = true
    pod.containers[0]!.securityContext = {
      ...pod.containers[0]!.securityContext,
      readOnlyRootFilesystem: false,
    }
    const extra = policyProblems(broken).filter((p) => !FLUENT_BIT_EXCEPTIONS.includes(p))
    assert.deepEqual(extra, [
      'DaemonSet fluent-bit/fluent-bit: shares a host namespace',
      'DaemonSet fluent-bit/fluent-bit container fluent-bit: the root filesystem is writable',
    ])
  })

  test('an ingress of OpenSearch without its `from`: anyone may write logs, the internet too', () => {
    const broken = structuredClone(objects)
    const policy = find(broken, 'NetworkPolicy', 'logging', 'opensearch-from-fluent-bit')!
    delete (policy.spec as { ingress: Array<{ from?: unknown }> }).ingress[0]!.from
    assert.ok(allowedEdges(broken).has('internet → opensearch:http'))
  })
})
