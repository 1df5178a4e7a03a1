/**
 * Convoy's Grafana dashboards, as code (Grafana's Foundation SDK): what `generate.ts` writes to
 * `<uid>.json` beside this file, which the kustomization here turns into the ConfigMaps the
 * chart's Grafana loads (docs/observability.md, "Dashboards"). Every query reads a series Convoy's
 * code defines, prom-client's default Node metrics, a recording rule of deploy/monitoring/rules, or
 * an external one (RabbitMQ's plugin, `up`): test/deploy/dashboards.test.ts checks each against
 * those. Importing this module has no side effects.
 */
import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/dashboard'
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus'
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries'

/**
 * The Prometheus data source, by the uid the chart's Grafana gives it
 * (deploy/k8s/addons/values/kube-prometheus-stack.yaml, grafana.sidecar.datasources.uid).
 */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'prometheus' }

/** A query and its legend. */
type Query = [expr: string, legend: string]

interface PanelOptions {
  description: string
  unit: string
  /** The panel's width in the 24 columns of Grafana's grid (default 8: three to a row). */
  span?: number
  stacked?: boolean
}

const targets = (queries: Query[]) =>
  queries.map(([expr, legend], index) =>
    new DataqueryBuilder()
      .datasource(PROMETHEUS)
      .refId(String.fromCharCode(65 + index))
      .expr(expr)
      .legendFormat(legend),
  )

function timeseries(title: string, options: PanelOptions, ...queries: Query[]) {
  const panel = new TimeseriesBuilder()
    .title(title)
    .description(options.description)
    .datasource(PROMETHEUS)
    .unit(options.unit)
    .min(0)
    .height(8)
    .span(options.span ?? 8)
    .fillOpacity(options.stacked ? 60 : 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
  if (options.stacked)
    panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'))
  for (const target of targets(queries)) panel.withTarget(target)
  return panel
}

/** One number per series, red below `healthy` (1: every target up, the transport up). */
function stat(title: string, options: PanelOptions & { healthy: number }, ...queries: Query[]) {
  const panel = new StatBuilder()
    .title(title)
    .description(options.description)
    .datasource(PROMETHEUS)
    .unit(options.unit)
    .height(8)
    .span(options.span ?? 8)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'red' },
        { value: options.healthy, color: 'green' },
      ]),
    )
  for (const target of targets(queries)) panel.withTarget(target)
  return panel
}

/** The p50, p95 and p99 of a histogram, grouped by `by` as well as `le`. */
const quantiles = (histogram: string, by: string[] = [], legend = ''): Query[] =>
  [0.5, 0.95, 0.99].map((q) => [
    `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${histogram}_bucket[$__rate_interval])))`,
    `${legend}p${q * 100}`,
  ])

const RATE = '[$__rate_interval]'

function dashboard(uid: string, title: string, description: string) {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['convoy'])
    .editable()
    .time({ from: 'now-3h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
}

/**
 * The variable `service`: the Node services reporting (prom-client's nodejs_version_info is served
 * by each), all of them by default. Queries read it as `service=~"$service"`.
 */
const serviceVariable = () =>
  new QueryVariableBuilder('service')
    .label('Service')
    .datasource(PROMETHEUS)
    .query('label_values(nodejs_version_info, service)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)

const SERVICE = 'service=~"$service"'

/** A metric of the selected services, aggregated over each one's pods: one series per service. */
const perService = (aggregation: 'sum' | 'max' | 'min', metric: string, legend?: string): Query => [
  `${aggregation} by (service) (${metric}{${SERVICE}})`,
  legend ? `{{service}} ${legend}` : '{{service}}',
]

/** CPU seconds per second, on both the overview and the Node runtime. */
const cpu = () =>
  timeseries('CPU', { description: 'CPU seconds used per second (cores), by service.', unit: 'short' }, [
    `sum by (service) (rate(process_cpu_seconds_total{${SERVICE}}${RATE}))`,
    '{{service}}',
  ])

/** The RED state of every service's HTTP and the USE of its process, on one screen. */
function overview() {
  return dashboard(
    'convoy-overview',
    'Convoy / Overview',
    "Every service's requests (rate, errors, p95 latency) and process (CPU, memory, event-loop lag), and every scrape target.",
  )
    .withVariable(serviceVariable())
    .withRow(new RowBuilder('Requests: rate, errors, duration'))
    .withPanel(
      timeseries(
        'Request rate',
        { description: 'HTTP requests answered per second, by service.', unit: 'reqps' },
        [`service:http_server_requests:rate5m{${SERVICE}}`, '{{service}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Error ratio',
        {
          description:
            'Share of HTTP requests answered with a 5xx, by service (HighErrorRatio fires above 5%).',
          unit: 'percentunit',
        },
        [`service:http_server_errors:ratio_rate5m{${SERVICE}}`, '{{service}}'],
      ),
    )
    .withPanel(
      timeseries(
        'p95 latency',
        {
          description: '95th percentile of HTTP response time, by service (HighLatency fires above 1 s).',
          unit: 's',
        },
        [`service:http_server_request_duration_seconds:p95_rate5m{${SERVICE}}`, '{{service}}'],
      ),
    )
    .withRow(new RowBuilder('Processes: utilisation, saturation'))
    .withPanel(cpu())
    .withPanel(
      timeseries(
        'Memory (RSS)',
        { description: 'Resident memory, summed over the pods of each service.', unit: 'bytes' },
        perService('sum', 'process_resident_memory_bytes'),
      ),
    )
    .withPanel(
      timeseries(
        'Event-loop lag p99',
        {
          description:
            "The event loop's p99 delay, the worst pod of each service: work waits this long to start.",
          unit: 's',
        },
        perService('max', 'nodejs_eventloop_lag_p99_seconds'),
      ),
    )
    .withRow(new RowBuilder('Scrape targets'))
    .withPanel(
      stat(
        'Targets up',
        {
          description:
            "Share of each job's targets Prometheus scraped last time (1 = all): a job below is missing pods' metrics.",
          unit: 'percentunit',
          span: 24,
          healthy: 1,
        },
        ['sum by (job) (up) / count by (job) (up)', '{{job}}'],
      ),
    )
    .build()
}

/** How fresh the vehicles are, from the simulator's report to the browser's frame. */
function fleet() {
  return dashboard(
    'convoy-fleet',
    'Convoy / Fleet',
    'Positions from the vehicles to the map: their freshness at the tracker and at the gateway, the rates of reports and stored positions, and the live clients.',
  )
    .withRow(new RowBuilder('Freshness'))
    .withPanel(
      timeseries(
        'Position age when stored',
        {
          description:
            "Seconds from a vehicle's report to its position stored by position-tracker (PositionIngestSlow fires when the p95 passes 2.5 s).",
          unit: 's',
          span: 12,
        },
        ...quantiles('position_ingest_latency_seconds'),
      ),
    )
    .withPanel(
      timeseries(
        'Position age when sent live',
        {
          description:
            "Seconds from a vehicle's report to its frame sent to the live clients by the gateway.",
          unit: 's',
          span: 12,
        },
        ...quantiles('position_live_latency_seconds'),
      ),
    )
    .withRow(new RowBuilder('Throughput'))
    .withPanel(
      timeseries(
        'Reports',
        {
          description:
            'Position reports the simulator published per second, and those it skipped (the broker slow or down; PositionsStale fires when reports go out and none are stored).',
          unit: 'reqps',
        },
        ['sum(service:simulator_reports_published:rate5m)', 'published'],
        [`sum(rate(simulator_reports_skipped_total${RATE}))`, 'skipped'],
      ),
    )
    .withPanel(
      timeseries(
        'Positions stored',
        { description: 'Positions position-tracker wrote to its database per second.', unit: 'reqps' },
        ['sum(service:positions_stored:rate5m)', 'stored'],
      ),
    )
    .withPanel(
      timeseries('Vehicles reporting', { description: 'Vehicles the simulator drives.', unit: 'short' }, [
        'sum(simulator_vehicles)',
        'vehicles',
      ]),
    )
    .withRow(new RowBuilder('Live clients'))
    .withPanel(
      timeseries(
        'Live clients connected',
        {
          description: "Browsers connected to the gateway's live feed, by pod.",
          unit: 'short',
          stacked: true,
        },
        ['sum by (pod) (live_clients)', '{{pod}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Frames and bytes sent',
        { description: 'Frames per second sent to the live clients, and their bytes.', unit: 'short' },
        [`sum(rate(live_frames_sent_total${RATE}))`, 'frames/s'],
        [`sum(rate(live_bytes_sent_total${RATE}))`, 'bytes/s'],
      ),
    )
    .withPanel(
      timeseries(
        'Clients dropped',
        {
          description:
            'Live clients the gateway disconnected per second, by reason (a slow reader, above all).',
          unit: 'short',
        },
        [`sum by (reason) (rate(live_clients_dropped_total${RATE}))`, '{{reason}}'],
      ),
    )
    .build()
}

/** Every queue: RabbitMQ's view (depth, consumers) and Convoy's (published, consumed, lag, handle time). */
function messaging() {
  return dashboard(
    'convoy-messaging',
    'Convoy / Messaging',
    "Every queue as RabbitMQ sees it (ready, unacknowledged, consumers) and as Convoy's publishers and consumers count it.",
  )
    .withRow(new RowBuilder('RabbitMQ'))
    .withPanel(
      timeseries(
        'Messages ready',
        {
          description:
            'Messages waiting in each queue (QueueGrowing, ConsumerStalled). q.retry and q.dead do not drain by design.',
          unit: 'short',
        },
        ['sum by (queue) (rabbitmq_queue_messages_ready)', '{{queue}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Messages unacknowledged',
        {
          description: 'Messages delivered to a consumer and not yet acknowledged, by queue.',
          unit: 'short',
        },
        ['sum by (queue) (rabbitmq_queue_messages_unacked)', '{{queue}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Consumers',
        {
          description:
            'Consumers attached to each queue (QueueWithoutConsumer fires at none while messages wait). q.retry and q.dead have none by design and are left out.',
          unit: 'short',
        },
        ['queue:rabbitmq_queue_consumers:sum', '{{queue}}'],
      ),
    )
    .withRow(new RowBuilder('Convoy: published and consumed'))
    .withPanel(
      timeseries(
        'Published',
        { description: 'Messages published and confirmed per second, by exchange.', unit: 'short', span: 12 },
        [`sum by (exchange) (rate(messages_published_total${RATE}))`, '{{exchange}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Consumed, by outcome',
        {
          description:
            'Messages consumed per second, by queue and outcome: ack, retry or dead (dead-lettered).',
          unit: 'short',
          span: 12,
        },
        ['queue_outcome:messages_consumed:rate5m', '{{queue}} {{outcome}}'],
      ),
    )
    .withRow(new RowBuilder('Convoy: lag and handle time'))
    .withPanel(
      timeseries(
        'Consumer lag p95',
        {
          description:
            'How old messages are when their consumers take them, the 95th percentile by queue: published to taken, retries included (MessagesWaitingLong fires above 5 minutes).',
          unit: 's',
          span: 12,
        },
        ['queue:message_consumer_lag_seconds:p95_rate5m', '{{queue}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Handle time p95',
        {
          description: "The 95th percentile of a handler's time per message, by queue.",
          unit: 's',
          span: 12,
        },
        [
          `histogram_quantile(0.95, sum by (queue, le) (rate(message_handle_duration_seconds_bucket${RATE})))`,
          '{{queue}}',
        ],
      ),
    )
    .build()
}

/** From an upload to the email that says its MP3 is ready. */
function media() {
  return dashboard(
    'convoy-media',
    'Convoy / Media pipeline',
    'Uploads, the jobs under way, what the owner waits, conversions and the emails that end them.',
  )
    .withRow(new RowBuilder('Uploads and jobs under way'))
    .withPanel(
      timeseries(
        'Uploads',
        { description: 'Uploads answered per second, by status (202: accepted as a job).', unit: 'reqps' },
        [
          `sum by (status_code) (rate(http_server_request_duration_seconds_count{service="media", method="POST", route="/media"}${RATE}))`,
          '{{status_code}}',
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Bytes uploaded',
        { description: 'Bytes of the videos accepted as jobs, per second.', unit: 'Bps' },
        [`sum(rate(media_upload_bytes_total${RATE}))`, 'bytes'],
      ),
    )
    .withPanel(
      timeseries(
        'Jobs under way',
        {
          description:
            "Jobs not ended yet, by state: uploaded (waiting for a converter) or converting. Read from media's database, so every replica reports the same numbers: the largest, not their sum.",
          unit: 'short',
          stacked: true,
        },
        ['max by (state) (media_jobs)', '{{state}}'],
      ),
    )
    .withRow(new RowBuilder('What the owner waits'))
    .withPanel(
      timeseries(
        'Job duration',
        {
          description: 'Seconds from an upload accepted to its job ready or failed, by outcome.',
          unit: 's',
          span: 12,
        },
        ...quantiles('media_job_duration_seconds', ['outcome'], '{{outcome}} '),
      ),
    )
    .withPanel(
      timeseries(
        'Upload to email',
        {
          description:
            'Seconds from an upload accepted to the email about its job sent, by kind (media.ready or media.failed): conversion, queues and retries included.',
          unit: 's',
          span: 12,
        },
        ...quantiles('notification_job_email_latency_seconds', ['kind'], '{{kind}} '),
      ),
    )
    .withRow(new RowBuilder('Conversions'))
    .withPanel(
      timeseries(
        'Conversions per hour',
        { description: 'Jobs the converter ended in the last hour, by outcome.', unit: 'short' },
        ['sum by (outcome) (increase(conversions_total[1h]))', '{{outcome}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Conversion success',
        {
          description:
            "Share of the last hour's conversions that succeeded (ConversionsFailing fires below 75%).",
          unit: 'percentunit',
        },
        ['service:conversions_success:ratio_rate1h', '{{service}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Conversion duration',
        {
          description: 'Time of the attempt that ended a job (download, ffmpeg, upload), by outcome.',
          unit: 's',
        },
        ...quantiles('conversion_duration_seconds', ['outcome'], '{{outcome}} '),
      ),
    )
    .withRow(new RowBuilder('Emails'))
    .withPanel(
      timeseries(
        'Emails',
        { description: 'Emails notification sent per second, by outcome.', unit: 'short', span: 12 },
        ['sum by (outcome) (service_outcome:emails_sent:rate5m)', '{{outcome}}'],
      ),
    )
    .withPanel(
      stat(
        'Mail transport up',
        {
          description:
            "Each notification pod's mail transport: 1 up, 0 down after a failed send (EmailNotLeaving).",
          unit: 'short',
          span: 12,
          healthy: 1,
        },
        ['mail_transport_up', '{{pod}}'],
      ),
    )
    .withPanel(
      stat(
        'Alert recipients readable',
        {
          description:
            "Each notification pod's reads of whom to email fleet alerts, from auth: 1 answered, 0 not since a failed read (FleetAlertEmailsWaiting).",
          unit: 'short',
          span: 12,
          healthy: 1,
        },
        ['alert_recipients_up', '{{pod}}'],
      ),
    )
    .build()
}

/** Logins and lockouts (auth), and the tokens every verifying service refused, its keys and revocations. */
function auth() {
  return dashboard(
    'convoy-auth',
    'Convoy / Auth',
    "Logins and lockouts at auth; the tokens each verifying service refused and why, its failed fetches of auth's keys, the revocations it applied.",
  )
    .withRow(new RowBuilder('Logins'))
    .withPanel(
      timeseries(
        'Logins, by outcome',
        {
          description:
            'Login attempts per second, by outcome: success, refused (wrong credentials or disabled) or throttled (the password not even checked).',
          unit: 'reqps',
          span: 12,
        },
        [`sum by (outcome) (rate(auth_logins_total${RATE}))`, '{{outcome}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Lockouts begun',
        {
          description:
            'Lockouts begun in the last 15 minutes, by scope: user (a username refused from every address: AccountsLockedOut fires) or address.',
          unit: 'short',
          span: 12,
        },
        ['sum by (scope) (increase(auth_lockouts_total[15m]))', '{{scope}}'],
      ),
    )
    .withRow(new RowBuilder('Tokens refused'))
    .withPanel(
      timeseries(
        'Tokens refused, by reason',
        {
          description:
            'Access tokens refused per second by every verifying service, by reason: the cause of a 401, or keys_unavailable and revocations_unknown for a 503.',
          unit: 'reqps',
          span: 12,
        },
        [`sum by (reason) (rate(auth_token_verification_failures_total${RATE}))`, '{{reason}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Tokens refused, by service',
        {
          description: 'Access tokens refused per second, by the service that refused them.',
          unit: 'reqps',
          span: 12,
        },
        [`sum by (service) (rate(auth_token_verification_failures_total${RATE}))`, '{{service}}'],
      ),
    )
    .withRow(new RowBuilder('Keys and revocations'))
    .withPanel(
      timeseries(
        'JWKS fetch failures',
        {
          description:
            "Failed fetches of auth's signing keys in the last 5 minutes, by service (JwksFetchFailing fires when they go on for 5 minutes).",
          unit: 'short',
          span: 12,
        },
        ['sum by (service) (increase(auth_jwks_fetch_failures_total[5m]))', '{{service}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Revocations applied',
        {
          description:
            "Revocations of a user's sessions applied in the last hour, by service. Every replica applies each one once: the replica that applied most, not their sum.",
          unit: 'short',
          span: 12,
        },
        ['max by (service) (increase(auth_revocations_applied_total[1h]))', '{{service}}'],
      ),
    )
    .build()
}

/** prom-client's default metrics: the Node runtime of each service. */
function nodeRuntime() {
  return dashboard(
    'convoy-node-runtime',
    'Convoy / Node runtime',
    "Each service's Node.js runtime, from prom-client's default metrics: heap, garbage collection, event loop, handles, memory.",
  )
    .withVariable(serviceVariable())
    .withRow(new RowBuilder('Memory'))
    .withPanel(
      timeseries(
        'Heap used',
        { description: "V8's heap in use, the largest pod of each service.", unit: 'bytes' },
        perService('max', 'nodejs_heap_size_used_bytes'),
      ),
    )
    .withPanel(
      timeseries(
        'Heap used, by space',
        {
          description: "V8's heap spaces in use, summed over the selected services.",
          unit: 'bytes',
          stacked: true,
        },
        [`sum by (space) (nodejs_heap_space_size_used_bytes{${SERVICE}})`, '{{space}}'],
      ),
    )
    .withPanel(
      timeseries(
        'Resident and external memory',
        {
          description:
            'Resident set size (all the process holds) and memory outside the heap (buffers), by service.',
          unit: 'bytes',
        },
        perService('max', 'process_resident_memory_bytes', 'RSS'),
        perService('max', 'nodejs_external_memory_bytes', 'external'),
      ),
    )
    .withRow(new RowBuilder('Garbage collection and event loop'))
    .withPanel(
      timeseries(
        'GC time',
        { description: 'Share of time spent collecting garbage, by service and kind.', unit: 'percentunit' },
        [
          `sum by (service, kind) (rate(nodejs_gc_duration_seconds_sum{${SERVICE}}${RATE}))`,
          '{{service}} {{kind}}',
        ],
      ),
    )
    .withPanel(
      timeseries(
        'Event-loop lag',
        { description: "The event loop's delay, p50 and p99, the worst pod of each service.", unit: 's' },
        perService('max', 'nodejs_eventloop_lag_p50_seconds', 'p50'),
        perService('max', 'nodejs_eventloop_lag_p99_seconds', 'p99'),
      ),
    )
    .withPanel(cpu())
    .withRow(new RowBuilder('Handles'))
    .withPanel(
      timeseries(
        'Active handles',
        { description: 'Handles (sockets, timers, files) keeping each service alive.', unit: 'short' },
        perService('sum', 'nodejs_active_handles_total'),
      ),
    )
    .withPanel(
      timeseries(
        'Active requests',
        {
          description: "Requests to libuv's thread pool in flight (files, DNS, crypto), by service.",
          unit: 'short',
        },
        perService('sum', 'nodejs_active_requests_total'),
      ),
    )
    .withPanel(
      timeseries(
        'Open file descriptors',
        {
          description: 'File descriptors open, the largest pod of each service, against its limit.',
          unit: 'short',
        },
        perService('max', 'process_open_fds'),
        perService('min', 'process_max_fds', 'limit'),
      ),
    )
    .build()
}

/** Every dashboard, in the order docs/observability.md describes them. */
export function dashboards(): Dashboard[] {
  const all = [overview(), fleet(), messaging(), media(), auth(), nodeRuntime()]
  // Panel ids, which links to a panel (viewPanel=<id>) use: fixed here, as Grafana would number them.
  for (const { panels } of all) for (const [index, panel] of (panels ?? []).entries()) panel.id = index + 1
  return all
}
