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
        // glassbox.dependency.duration, not undici's http.client.request.duration: it names the callee and it
        // is measured where the caller lives through the call, an injected dependency-error included.
        alert: 'UpstreamCallsFailing',
        expr:
          'sum by (job, glassbox_dependency) (rate(glassbox_dependency_duration_count{error_type!=""}[[5m]]))\n' +
          '/\nsum by (job, glassbox_dependency) (rate(glassbox_dependency_duration_count[[5m]]))\n> 0.05',
        for: '5m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "More than 5 % of {{ $labels.job }}'s calls to {{ $labels.glassbox_dependency }} fail",
        description:
          '{{ $labels.job }} got no answer (connection refused, timeout) or a 5xx on more than 5 % of its calls to {{ $labels.glassbox_dependency }} over 5 minutes.',
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

/**
 * Alerts for the faults the groups above did not see (issue 9: every fault of the catalogue is detected by an
 * alert; test/e2e/fault-detection.e2e.test.ts injects each and waits for its alert). Kept in groups of their
 * own, after the others.
 */
export const FAULT_SIGNAL_GROUPS: ReadonlyArray<{ name: string; alerts: readonly ClassicAlert[] }> = [
  {
    name: 'glassbox-saturation',
    alerts: [
      {
        // Utilization, not CPU seconds (process.cpu.time is served too, for the runbook): a Node.js process runs
        // its JavaScript on one thread, and the share of wall time that thread is busy shows a CPU-bound process
        // whether or not a crowded machine gives it the CPU it asks for. 90 %: a busy service with room left
        // sits well below; at 90 % every request queues behind the work in front of it.
        alert: 'EventLoopSaturated',
        expr: 'max by (job) (nodejs_eventloop_utilization) > 0.9',
        for: '5m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s event loop is busy more than 90 % of the time",
        description:
          'The event loop of {{ $labels.job }} was running code more than 90 % of the time for 5 minutes: it is CPU-bound (a hot loop, heavy work on the request path) and every request waits behind it.',
        runbook: 'event-loop-lag',
      },
    ],
  },
  {
    name: 'glassbox-dependencies',
    alerts: [
      {
        // 1 s: calls between Glassbox services take milliseconds; the slowest legitimate ones (a payment
        // authorization) stay well below a second at the 99th percentile.
        alert: 'UpstreamCallsSlow',
        expr: 'histogram_quantile(0.99, sum by (job, glassbox_dependency, le) (rate(glassbox_dependency_duration_bucket[[5m]])))\n> 1',
        for: '5m',
        severity: 'ticket',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s calls to {{ $labels.glassbox_dependency }} are slow (p99 above 1 s)",
        description:
          'The 99th percentile of the calls {{ $labels.job }} made to {{ $labels.glassbox_dependency }} stayed above 1 s for 5 minutes, as {{ $labels.job }} lived through them (the network and the callee both count).',
        runbook: 'high-latency',
      },
    ],
  },
  {
    name: 'glassbox-database-connections',
    alerts: [
      {
        // A share of the attempts to use the database (its statements, and the failures that never became
        // one), so it means the same at any traffic and any time scale: a refused or broken connection now and
        // then (a failover, a server restart) stays far below 10 %; a database that stays unreachable is at
        // 100 % and pages within two minutes.
        alert: 'DbConnectionsFailing',
        // Per database (`db_namespace`): a process also talks to others (the PostgreSQL bus's), whose
        // statements must not dilute the share of its own database's failures.
        expr:
          'sum by (job, db_namespace) (rate(glassbox_db_connection_failures_total[[5m]]))\n/\n(\n' +
          '  sum by (job, db_namespace) (rate(glassbox_db_connection_failures_total[[5m]]))\n' +
          '  + sum by (job, db_namespace) (rate(db_client_operation_duration_count[[5m]]))\n)\n> 0.1',
        for: '1m',
        severity: 'page',
        service: BY_JOB,
        summary: '{{ $labels.job }} cannot reach its database {{ $labels.db_namespace }}',
        description:
          'More than 10 % of the attempts of {{ $labels.job }} to use its database over 5 minutes failed to reach it (refused, reset, timed out waiting for a connection), for a minute: its statements fail.',
        runbook: 'db-unreachable',
      },
    ],
  },
  {
    name: 'glassbox-bus',
    alerts: [
      {
        // Events wait in the outbox and none went out over the whole window: the relay is stuck (a broker that
        // accepts connections but blocks publishes, a relay wedged in a publish). Not an age threshold: that
        // would not scale with the window, and a busy outbox always holds some events.
        alert: 'OutboxRelayStalled',
        expr:
          'max by (job) (glassbox_outbox_backlog_size) > 0\n' +
          'unless on (job)\nsum by (job) (increase(messaging_client_sent_messages_total[[5m]])) > 0',
        for: '5m',
        severity: 'page',
        service: BY_JOB,
        summary: "{{ $labels.job }}'s outbox holds events and publishes none",
        description:
          'Events have waited in the outbox of {{ $labels.job }} for 5 minutes while it published none: its relay is stuck on the bus (a stalled broker, a blocked publish). Nothing is lost — the outbox keeps them — but every consumer is late.',
        runbook: 'async-backlog',
      },
    ],
  },
];

/** The classic alert groups, their ranges and `for` durations divided by the time scale. */
export function compileClassicAlerts(timeScale: number): RuleGroup[] {
  const interval = timeScale === 1 ? {} : { interval: formatDuration(scaledEvaluationIntervalMs(timeScale)) };
  return [...CLASSIC_GROUPS, ...FAULT_SIGNAL_GROUPS].map((group) => ({
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
