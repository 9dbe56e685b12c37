/**
 * The classic alerts, next to the SLO burn alerts: symptoms an operator wants to hear about even before an
 * error budget notices (a target gone, a process crash-looping, a saturated pool, telemetry being lost). Every
 * alert has `severity` (page or ticket), `service` (the Glassbox service it is about, which Alertmanager groups
 * and inhibits by), `summary`, `description` and a `runbook_url` under docs/runbooks/. Windows and `for`
 * durations scale with the demo time scale like the SLO alerts.
 *
 * Metric names are the ones the processes export (Prometheus names of the OpenTelemetry instruments, as the
 * services serve them at /metrics): `job` is the service (one scrape job per service, and the observatory
 * maps each OTLP resource's service.name to `job` the same way).
 */
import { formatDuration, scaleDuration, scaledEvaluationIntervalMs } from '@glassbox/contracts/slo-policy';
import type { AlertingRule, RuleGroup } from './rules.js';

interface ClassicAlert {
  readonly alert: string;
  /** PromQL with `[[range]]` placeholders for ranges (scaled with the time scale). */
  readonly expr: string;
  readonly for: string;
  readonly severity: 'page' | 'ticket';
  /** The service label: a fixed name or a template such as `{{ $labels.job }}`. */
  readonly service: string;
  readonly summary: string;
  readonly description: string;
  readonly runbook: string;
}

const BY_JOB = '{{ $labels.job }}';

export const CLASSIC_GROUPS: ReadonlyArray<{ name: string; alerts: readonly ClassicAlert[] }> = [
  {
    name: 'glassbox-targets',
    alerts: [
      {
        alert: 'TargetDown',
        expr: 'up == 0',
        for: '1m',
        severity: 'page',
        service: BY_JOB,
        summary: '{{ $labels.job }} is down',
        description:
          '{{ $labels.job }} ({{ $labels.instance }}) has not answered its scrape (or the supervisor reports it not running) for a minute.',
        runbook: 'target-down',
      },
      {
        alert: 'CrashLooping',
        expr: 'increase(glassbox_supervisor_restarts_total[[15m]]) > 2',
        for: '0s',
        severity: 'page',
        service: '{{ $labels.process }}',
        summary: '{{ $labels.process }} is crash-looping',
        description: 'The supervisor restarted {{ $labels.process }} more than twice in 15 minutes.',
        runbook: 'crash-looping',
      },
      {
        alert: 'ProcessRestarted',
        expr: 'increase(glassbox_supervisor_restarts_total[[1h]]) > 0',
        for: '0s',
        severity: 'ticket',
        service: '{{ $labels.process }}',
        summary: '{{ $labels.process }} restarted',
        description: 'The supervisor restarted {{ $labels.process }} in the last hour: find out why it died.',
        runbook: 'crash-looping',
      },
    ],
  },
  {
    name: 'glassbox-http',
    alerts: [
      {
        alert: 'HighErrorRatio',
        expr:
          'sum by (job) (rate(http_server_request_duration_count{http_response_status_code=~"5.."}[[5m]]))\n' +
          '/\nsum by (job) (rate(http_server_request_duration_count[[5m]]))\n> 0.05',
        for: '5m',
        severity: 'page',
        service: BY_JOB,
        summary: '{{ $labels.job }} answers more than 5 % of requests with 5xx',
        description:
          'More than 5 % of the requests {{ $labels.job }} answered over 5 minutes were server errors.',
        runbook: 'high-error-ratio',
      },
      {
        alert: 'ElevatedErrorRatio',
        expr:
          'sum by (job) (rate(http_server_request_duration_count{http_response_status_code=~"5.."}[[15m]]))\n' +
          '/\nsum by (job) (rate(http_server_request_duration_count[[15m]]))\n> 0.01',
        for: '15m',
        severity: 'ticket',
        service: BY_JOB,
        summary: '{{ $labels.job }} answers more than 1 % of requests with 5xx',
        description:
          'More than 1 % of the requests {{ $labels.job }} answered over 15 minutes were server errors.',
        runbook: 'high-error-ratio',
      },
      {
        alert: 'HighLatencyP99',
        expr: 'histogram_quantile(0.99, sum by (job, le) (rate(http_server_request_duration_bucket[[5m]])))\n> 2.5',
        for: '5m',
        severity: 'page',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s p99 latency is above 2.5 s",
        description:
          'The 99th percentile of the request durations of {{ $labels.job }} stayed above 2.5 s for 5 minutes.',
        runbook: 'high-latency',
      },
      {
        alert: 'ElevatedLatencyP99',
        expr: 'histogram_quantile(0.99, sum by (job, le) (rate(http_server_request_duration_bucket[[15m]])))\n> 1',
        for: '15m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s p99 latency is above 1 s",
        description:
          'The 99th percentile of the request durations of {{ $labels.job }} stayed above 1 s for 15 minutes.',
        runbook: 'high-latency',
      },
      {
        alert: 'UpstreamCallsFailing',
        expr:
          'sum by (job) (rate(http_client_request_duration_count{error_type!=""}[[5m]]))\n' +
          '/\nsum by (job) (rate(http_client_request_duration_count[[5m]]))\n> 0.05',
        for: '5m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "More than 5 % of {{ $labels.job }}'s calls to other services fail",
        description:
          '{{ $labels.job }} got an error (connection refused, timeout or an error status) on more than 5 % of its outbound calls over 5 minutes.',
        runbook: 'high-error-ratio',
      },
    ],
  },
  {
    name: 'glassbox-runtime',
    alerts: [
      {
        alert: 'EventLoopLagHigh',
        expr: 'max by (job) (nodejs_eventloop_delay_p99) > 0.5',
        for: '2m',
        severity: 'page',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s event loop lags more than 500 ms",
        description:
          'The p99 event-loop delay of {{ $labels.job }} stayed above 500 ms for 2 minutes: it is CPU-bound or blocked.',
        runbook: 'event-loop-lag',
      },
      {
        alert: 'EventLoopLagElevated',
        expr: 'max by (job) (nodejs_eventloop_delay_p99) > 0.1',
        for: '10m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s event loop lags more than 100 ms",
        description: 'The p99 event-loop delay of {{ $labels.job }} stayed above 100 ms for 10 minutes.',
        runbook: 'event-loop-lag',
      },
    ],
  },
  {
    // Resident memory (process.memory.usage, the kit's runtime metrics): a leak outside the V8 heap (Buffers,
    // native memory) shows only here. Growth-based *and* absolute: a service here sits at 85–130 MiB under load,
    // and grows fast only for its first moments after a start (still far below 256 MiB); a process that is large
    // but no longer grows is not leaking. Above 256 MiB and growing by more than 128 KiB/s (about 450 MiB an
    // hour) over 10 minutes, it will exhaust the machine within hours: a restart gives the memory back.
    name: 'glassbox-memory',
    alerts: [
      {
        alert: 'ProcessMemoryGrowing',
        expr: 'process_memory_usage > 268435456\nand\nderiv(process_memory_usage[[10m]]) > 131072',
        for: '2m',
        severity: 'page',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s resident memory keeps growing (a leak)",
        description:
          'The resident memory of {{ $labels.job }} is above 256 MiB and grew by more than 128 KiB/s (about 450 MiB an hour) over 10 minutes, for 2 minutes. Both conditions: a healthy service sits at 85–130 MiB and grows fast only just after it starts; a large process that no longer grows is not leaking.',
        runbook: 'process-memory',
      },
    ],
  },
  {
    name: 'glassbox-database',
    alerts: [
      {
        alert: 'DbPoolSaturated',
        expr:
          'sum by (job) (db_client_connections_usage{db_client_connection_state="used"})\n' +
          '/\nsum by (job) (db_client_connection_max)\n> 0.9',
        for: '5m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s database pool is more than 90 % busy",
        description:
          'More than 90 % of the connections of the pool of {{ $labels.job }} were in use for 5 minutes.',
        runbook: 'db-pool-saturation',
      },
      {
        alert: 'DbPoolRequestsWaiting',
        expr: 'sum by (job) (db_client_connection_pending_requests) > 5',
        for: '2m',
        severity: 'page',
        service: BY_JOB,
        summary: '{{ $labels.job }} waits for database connections',
        description:
          'More than 5 queries of {{ $labels.job }} waited for a free pool connection for 2 minutes.',
        runbook: 'db-pool-saturation',
      },
      {
        alert: 'DbQueriesSlow',
        expr: 'histogram_quantile(0.99, sum by (job, le) (rate(db_client_operation_duration_bucket[[10m]])))\n> 0.5',
        for: '10m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s p99 query time is above 500 ms",
        description:
          'The 99th percentile of the database operations of {{ $labels.job }} stayed above 500 ms for 10 minutes.',
        runbook: 'db-pool-saturation',
      },
    ],
  },
  {
    name: 'glassbox-async',
    alerts: [
      {
        alert: 'SagaBacklogStale',
        expr: 'max by (job, glassbox_saga_type) (glassbox_saga_backlog_age) > 300',
        for: '5m',
        severity: 'page',
        service: BY_JOB,
        summary:
          'A {{ $labels.glassbox_saga_type }} saga of {{ $labels.job }} has been unfinished for more than 5 minutes',
        description:
          'The oldest unfinished {{ $labels.glassbox_saga_type }} saga of {{ $labels.job }} is more than 5 minutes old: sagas are not progressing.',
        runbook: 'async-backlog',
      },
      {
        alert: 'SagaBacklogAging',
        expr: 'max by (job, glassbox_saga_type) (glassbox_saga_backlog_age) > 60',
        for: '10m',
        severity: 'ticket',
        service: BY_JOB,
        summary: '{{ $labels.glassbox_saga_type }} sagas of {{ $labels.job }} wait more than a minute',
        description:
          'The oldest unfinished {{ $labels.glassbox_saga_type }} saga of {{ $labels.job }} stayed older than a minute for 10 minutes.',
        runbook: 'async-backlog',
      },
      {
        alert: 'SagaRetriesHigh',
        expr: 'sum by (job) (rate(glassbox_checkout_saga_retries_total[[10m]])) > 1',
        for: '10m',
        severity: 'ticket',
        service: BY_JOB,
        summary: '{{ $labels.job }} retries more than one saga step per second',
        description: 'Saga steps of {{ $labels.job }} keep failing transiently: a dependency is unhealthy.',
        runbook: 'async-backlog',
      },
      {
        alert: 'OutboxBacklogStale',
        expr: 'max by (job) (glassbox_outbox_backlog_age) > 300',
        for: '10m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s outbox has undelivered messages older than 5 minutes",
        description:
          'The oldest undelivered outbox message of {{ $labels.job }} is more than 5 minutes old: its consumer is down or refusing.',
        runbook: 'async-backlog',
      },
    ],
  },
  {
    name: 'glassbox-reconciliation',
    alerts: [
      {
        alert: 'ReconciliationMismatches',
        expr: 'max by (job, glassbox_kind) (glassbox_reconciliation_mismatches) > 0',
        for: '10m',
        severity: 'ticket',
        service: 'payment',
        summary: 'Payments and orders disagree ({{ $labels.glassbox_kind }})',
        description:
          'The payment reconciliation has found {{ $labels.glassbox_kind }} mismatches for 10 minutes: money captured without a confirmed order, a confirmed order without a capture, or amounts that differ. GET /api/v1/admin/reconciliation/reports lists them.',
        runbook: 'reconciliation-mismatches',
      },
    ],
  },
  {
    name: 'glassbox-observatory',
    alerts: [
      {
        alert: 'OtlpItemsDropped',
        expr: 'sum by (job) (rate(observatory_otlp_items_dropped_total[[5m]])) > 0',
        for: '5m',
        severity: 'ticket',
        service: 'observatory',
        summary: 'The observatory is dropping telemetry',
        description:
          'The observatory refused well-formed OTLP items (back-pressure) or lost them in a failed write for 5 minutes.',
        runbook: 'observatory-ingest',
      },
      {
        alert: 'OtlpItemsRejected',
        expr: 'sum by (job) (rate(observatory_otlp_items_rejected_total[[15m]])) > 0',
        for: '15m',
        severity: 'ticket',
        service: 'observatory',
        summary: 'The observatory keeps rejecting invalid telemetry',
        description:
          'Some client has been sending OTLP items the observatory refuses as invalid for 15 minutes.',
        runbook: 'observatory-ingest',
      },
      {
        alert: 'ObservatoryStoreNearLimit',
        expr: 'max by (job) (observatory_store_bytes / observatory_store_max_bytes) > 0.9',
        for: '10m',
        severity: 'ticket',
        service: 'observatory',
        summary: 'The observatory store is above 90 % of its byte limit',
        description:
          'Retention is evicting by size: the store holds less history than its retention promises.',
        runbook: 'observatory-store',
      },
      {
        alert: 'ObservatoryWriteQueueFull',
        expr: 'max by (job) (observatory_write_queue_rows / observatory_write_queue_max_rows) > 0.8',
        for: '2m',
        severity: 'page',
        service: 'observatory',
        summary: "The observatory's write queue is more than 80 % full",
        description: 'The store cannot keep up with ingest; back-pressure (429) is next.',
        runbook: 'observatory-ingest',
      },
    ],
  },
  {
    name: 'glassbox-security',
    alerts: [
      {
        alert: 'JwksFetchFailing',
        expr: 'sum by (job) (increase(glassbox_jwks_fetch_failures_total[[10m]])) > 0',
        for: '0s',
        severity: 'page',
        service: BY_JOB,
        summary: '{{ $labels.job }} cannot fetch the signing keys (JWKS)',
        description:
          '{{ $labels.job }} failed to fetch the auth service JWKS: tokens signed with a new key will be refused.',
        runbook: 'jwks-fetch-failures',
      },
    ],
  },
];

/** The classic alert groups, their ranges and `for` durations divided by the time scale. */
export function compileClassicAlerts(timeScale: number): RuleGroup[] {
  const interval = timeScale === 1 ? {} : { interval: formatDuration(scaledEvaluationIntervalMs(timeScale)) };
  return CLASSIC_GROUPS.map((group) => ({
    name: group.name,
    ...interval,
    rules: group.alerts.map(
      (a): AlertingRule => ({
        alert: a.alert,
        expr: a.expr.replace(
          /\[\[([0-9a-z]+)\]\]/g,
          (_m, range: string) => `[${scaleDuration(range, timeScale)}]`,
        ),
        for: scaleDuration(a.for, timeScale),
        labels: { severity: a.severity, service: a.service },
        annotations: {
          summary: a.summary,
          description: a.description,
          runbook_url: `docs/runbooks/${a.runbook}.md`,
        },
      }),
    ),
  }));
}
