/**
 * Synthetic series for every alert: a burn (or symptom) just above its threshold, one just below, and one that
 * stops. They are written as `promtool test rules` files (promtool-tests.ts) and fed to the observatory's own
 * evaluator (the equivalence test), so both are judged on the same input. Times are in minutes from 0; series
 * are sampled every minute.
 *
 * SLO alerts are driven through their SLI recordings (each window's error ratio set on its own), which tests
 * each burn condition separately; the recordings themselves are checked from raw counters in
 * `RECORDING_CHECKS`.
 */
import { durationMs } from '@glassbox/contracts/slo-policy';
import { type AlertingRule, isAlertingRule, type RuleFile } from './rules.js';

export interface InputSeries {
  /** `metric{label="value",…}` */
  readonly series: string;
  /** promtool's expanding notation, one value per minute. */
  readonly values: string;
}

export interface AlertCheck {
  /** Minutes from the start. */
  readonly at: number;
  /** Whether the alert is firing then (pending counts as not firing). */
  readonly firing: boolean;
}

export interface AlertScenario {
  readonly name: string;
  /** The rule group holding the alert (each group is tested on its own). */
  readonly group: string;
  readonly alert: string;
  readonly series: readonly InputSeries[];
  readonly checks: readonly AlertCheck[];
  /** Labels and annotations of the alert when it fires (templates rendered). */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** How many minutes the scenario runs. */
  readonly minutes: number;
}

const minutes = (d: string) => durationMs(d) / 60_000;

/** `{{ $labels.x }}` rendered against the alert's labels (the only template our rules use). */
export function renderTemplate(text: string, labels: Readonly<Record<string, string>>): string {
  return text.replace(
    /\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
    (_m, name: string) => labels[name] ?? '',
  );
}

function expected(rule: AlertingRule, seriesLabels: Record<string, string>) {
  const labels: Record<string, string> = { ...seriesLabels };
  for (const [k, v] of Object.entries(rule.labels)) labels[k] = renderTemplate(v, seriesLabels);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = renderTemplate(v, labels);
  return { labels, annotations };
}

/** A constant per-minute value for `n` minutes, then another for `m` minutes (gauges). */
function gaugeValues(first: number, n: number, then?: { value: number; minutes: number }): string {
  const a = `${first}x${n}`;
  return then ? `${a} ${then.value}x${then.minutes - 1}` : a;
}

/** A counter growing by `perMinute` for `n` minutes, then by `then.perMinute` (from `from`: a growing gauge). */
function counterValues(
  perMinute: number,
  n: number,
  then?: { perMinute: number; minutes: number },
  from = 0,
): string {
  const a = `${from}+${perMinute}x${n}`;
  if (!then) return a;
  const start = Number((from + perMinute * n + then.perMinute).toPrecision(12));
  return `${a} ${start}+${then.perMinute}x${then.minutes - 1}`;
}

// ---------------------------------------------------------------------------------------------------------
// SLO burn alerts

const BURN =
  /max\(slo:sli_error:ratio_rate(\w+)\{sloth_id="([^"]+)"\} > \(([\d.]+) \* ([\d.e-]+)\)\) without/g;

interface Condition {
  readonly factor: number;
  readonly budget: number;
  readonly windows: readonly [string, string];
}

function conditionsOf(rule: AlertingRule): { id: string; conditions: Condition[] } {
  const found = [...rule.expr.matchAll(BURN)];
  const id = found[0]?.[2] ?? '';
  const conditions: Condition[] = [];
  for (let i = 0; i + 1 < found.length; i += 2) {
    const a = found[i];
    const b = found[i + 1];
    if (!a || !b) continue;
    conditions.push({
      factor: Number(a[3]),
      budget: Number(a[4]),
      windows: [a[1] ?? '', b[1] ?? ''],
    });
  }
  return { id, conditions };
}

const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

function sloScenarios(group: string, rule: AlertingRule): AlertScenario[] {
  const { id, conditions } = conditionsOf(rule);
  const forMin = minutes(rule.for ?? '0s');
  const { labels, annotations } = expected(rule, { sloth_id: id });
  const severity = rule.labels.severity ?? '';
  const total = forMin * 2 + 10;
  const out: AlertScenario[] = [];
  for (const c of conditions) {
    const threshold = c.factor * c.budget;
    const series = (ratios: Record<string, string>) =>
      SLI_WINDOWS.map((w) => ({
        series: `slo:sli_error:ratio_rate${w}{sloth_id="${id}",sloth_window="${w}"}`,
        values: ratios[w] ?? `0x${total}`,
      }));
    const above = Number((threshold * 1.02).toPrecision(6));
    const below = Number((threshold * 0.98).toPrecision(6));
    const [short, long] = c.windows;
    const name = `${rule.alert} ${severity} ${c.factor}x over ${long}/${short}`;
    out.push({
      name: `${name}: fires just above, after its for`,
      group,
      alert: rule.alert,
      series: series({ [short]: `${above}x${total}`, [long]: `${above}x${total}` }),
      checks: [...(forMin > 0 ? [{ at: forMin - 1, firing: false }] : []), { at: forMin + 1, firing: true }],
      labels,
      annotations,
      minutes: total,
    });
    out.push({
      name: `${name}: silent just below on the short window`,
      group,
      alert: rule.alert,
      series: series({ [short]: `${below}x${total}`, [long]: `${above}x${total}` }),
      checks: [{ at: forMin + 1, firing: false }],
      labels,
      annotations,
      minutes: total,
    });
    out.push({
      name: `${name}: silent just below on the long window`,
      group,
      alert: rule.alert,
      series: series({ [short]: `${above}x${total}`, [long]: `${below}x${total}` }),
      checks: [{ at: forMin + 1, firing: false }],
      labels,
      annotations,
      minutes: total,
    });
    const burn = forMin + 2;
    out.push({
      name: `${name}: resolves when the burn stops`,
      group,
      alert: rule.alert,
      series: series({
        [short]: gaugeValues(above, burn, { value: 0, minutes: total - burn }),
        [long]: `${above}x${total}`,
      }),
      checks: [
        { at: forMin + 1, firing: true },
        { at: burn + 2, firing: false },
      ],
      labels,
      annotations,
      minutes: total,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Classic alerts: the input series of each, above and below its threshold.

interface SeriesSpec {
  readonly series: string;
  /** `ramp`: a gauge growing from `from` (memory), like a counter that does not start at 0. */
  readonly kind: 'counter' | 'gauge' | 'ramp';
  /** Counter and ramp: increase per minute; gauge: value. */
  readonly above: number;
  readonly below: number;
  /** Ramp: the value at the start. */
  readonly from?: number;
}

interface ClassicCase {
  readonly series: readonly SeriesSpec[];
  /** Labels of the expression's result. */
  readonly result: Record<string, string>;
  /**
   * More scenarios, for an alert with a second condition the above/below pair does not cross (each must fire
   * or stay silent as its checks say).
   */
  readonly more?: ReadonlyArray<{
    readonly name: string;
    readonly series: readonly InputSeries[];
    readonly checks: readonly AlertCheck[];
    readonly minutes: number;
  }>;
}

const ORDER = { job: 'order', instance: '127.0.0.1:8085' };
const lbl = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
const counter = (series: string, above: number, below: number): SeriesSpec => ({
  series,
  kind: 'counter',
  above,
  below,
});
const gauge = (series: string, above: number, below: number): SeriesSpec => ({
  series,
  kind: 'gauge',
  above,
  below,
});

const requests = (code: string) =>
  `http_server_request_duration_count${lbl({ ...ORDER, http_response_status_code: code })}`;
const buckets = (metric: string, bounds: Array<[string, number, number]>): SeriesSpec[] =>
  bounds.map(([le, above, below]) => counter(`${metric}${lbl({ ...ORDER, le })}`, above, below));
const OBS = { job: 'observatory', instance: '127.0.0.1:3000' };
/** order's own database. */
const ORDER_DB = { ...ORDER, db_namespace: 'glassbox_order' };
/** order's calls to payment (glassbox.dependency.duration), with more labels. */
const dependencyCalls = (labels: Record<string, string>) =>
  `glassbox_dependency_duration_count${lbl({ ...ORDER, glassbox_dependency: 'payment', http_request_method: 'POST', ...labels })}`;
const dependencyBuckets = (bounds: Array<[string, number, number]>): SeriesSpec[] =>
  bounds.map(([le, above, below]) =>
    counter(
      `glassbox_dependency_duration_bucket${lbl({ ...ORDER, glassbox_dependency: 'payment', http_request_method: 'POST', le })}`,
      above,
      below,
    ),
  );
const MIB = 1024 * 1024;

export const CLASSIC_CASES: Readonly<Record<string, ClassicCase>> = {
  TargetDown: { series: [gauge(`up${lbl(ORDER)}`, 0, 1)], result: ORDER },
  CrashLooping: {
    series: [counter('glassbox_supervisor_restarts_total{job="supervisor",process="order"}', 0.25, 0.1)],
    result: { job: 'supervisor', process: 'order' },
  },
  ProcessRestarted: {
    series: [counter('glassbox_supervisor_restarts_total{job="supervisor",process="order"}', 0.1, 0)],
    result: { job: 'supervisor', process: 'order' },
  },
  HighErrorRatio: {
    series: [counter(requests('200'), 94.9, 95.1), counter(requests('503'), 5.1, 4.9)],
    result: { job: 'order' },
  },
  ElevatedErrorRatio: {
    series: [counter(requests('200'), 98.9, 99.1), counter(requests('503'), 1.1, 0.9)],
    result: { job: 'order' },
  },
  HighLatencyP99: {
    series: buckets('http_server_request_duration_bucket', [
      ['1', 95, 95],
      ['2.5', 98, 100],
      ['5', 100, 100],
      ['+Inf', 100, 100],
    ]),
    result: { job: 'order' },
  },
  ElevatedLatencyP99: {
    series: buckets('http_server_request_duration_bucket', [
      ['1', 95, 100],
      ['2.5', 98, 100],
      ['+Inf', 100, 100],
    ]),
    result: { job: 'order' },
  },
  UpstreamCallsFailing: {
    series: [
      counter(dependencyCalls({ http_response_status_code: '200' }), 94.9, 95.1),
      counter(dependencyCalls({ error_type: 'ECONNREFUSED' }), 2.1, 1.9),
      counter(dependencyCalls({ http_response_status_code: '503', error_type: '503' }), 3, 3),
      // Calls to another dependency, all failing: a series of their own, never this one's result.
      counter(
        `glassbox_dependency_duration_count${lbl({ ...ORDER, glassbox_dependency: 'inventory', error_type: '503' })}`,
        0,
        0,
      ),
    ],
    result: { job: 'order', glassbox_dependency: 'payment' },
  },
  EventLoopLagHigh: {
    series: [gauge(`nodejs_eventloop_delay_p99${lbl(ORDER)}`, 0.51, 0.49)],
    result: { job: 'order' },
  },
  // Above 256 MiB (from 300 MiB), growing by 8 MiB a minute (140 KB/s) fires; by 7 MiB (122 KB/s) does not.
  ProcessMemoryGrowing: {
    series: [
      {
        series: `process_memory_usage${lbl(ORDER)}`,
        kind: 'ramp',
        from: 300 * MIB,
        above: 8 * MIB,
        below: 7 * MIB,
      },
    ],
    result: ORDER,
    more: [
      {
        // A process warming up: 20 MiB a minute from 50 MiB to 250 MiB, then flat. It grows far faster than
        // the growth threshold, but never above 256 MiB: silent (the absolute condition holds it back).
        name: 'ProcessMemoryGrowing: silent while growing fast below 256 MiB',
        series: [
          {
            series: `process_memory_usage${lbl(ORDER)}`,
            values: `${50 * MIB}+${20 * MIB}x10 ${250 * MIB}x19`,
          },
        ],
        checks: [3, 6, 9, 12, 20].map((at) => ({ at, firing: false })),
        minutes: 30,
      },
      {
        // The memory-leak fault: 2 MiB per request at a few requests a second, from a service's usual 100 MiB.
        name: 'ProcessMemoryGrowing: fires for a leak from a normal size, once past 256 MiB',
        series: [{ series: `process_memory_usage${lbl(ORDER)}`, values: `${100 * MIB}+${30 * MIB}x29` }],
        checks: [
          { at: 4, firing: false },
          { at: 10, firing: true },
        ],
        minutes: 30,
      },
    ],
  },
  EventLoopLagElevated: {
    series: [gauge(`nodejs_eventloop_delay_p99${lbl(ORDER)}`, 0.11, 0.09)],
    result: { job: 'order' },
  },
  DbPoolSaturated: {
    series: [
      gauge(`db_client_connections_usage${lbl({ ...ORDER, db_client_connection_state: 'used' })}`, 9.1, 8.9),
      gauge(`db_client_connections_usage${lbl({ ...ORDER, db_client_connection_state: 'idle' })}`, 0.9, 1.1),
      gauge(`db_client_connection_max${lbl(ORDER)}`, 10, 10),
    ],
    result: { job: 'order' },
  },
  DbPoolRequestsWaiting: {
    series: [gauge(`db_client_connection_pending_requests${lbl(ORDER)}`, 6, 5)],
    result: { job: 'order' },
  },
  DbQueriesSlow: {
    series: buckets('db_client_operation_duration_bucket', [
      ['0.25', 90, 90],
      ['0.5', 98, 100],
      ['1', 100, 100],
      ['+Inf', 100, 100],
    ]),
    result: { job: 'order' },
  },
  SagaBacklogStale: {
    series: [
      gauge(`glassbox_saga_backlog_age${lbl({ ...ORDER, glassbox_saga_type: 'checkout' })}`, 301, 299),
    ],
    result: { job: 'order', glassbox_saga_type: 'checkout' },
  },
  SagaBacklogAging: {
    series: [gauge(`glassbox_saga_backlog_age${lbl({ ...ORDER, glassbox_saga_type: 'checkout' })}`, 61, 59)],
    result: { job: 'order', glassbox_saga_type: 'checkout' },
  },
  SagaRetriesHigh: {
    series: [counter(`glassbox_checkout_saga_retries_total${lbl(ORDER)}`, 61, 59)],
    result: { job: 'order' },
  },
  OutboxBacklogStale: {
    series: [
      gauge(
        'glassbox_outbox_backlog_age{job="auth",instance="127.0.0.1:8081",glassbox_outbox_source="auth"}',
        301,
        299,
      ),
    ],
    result: { job: 'auth' },
  },
  ReconciliationMismatches: {
    series: [
      gauge(
        'glassbox_reconciliation_mismatches{job="payment",instance="127.0.0.1:8086",glassbox_kind="AMOUNT_MISMATCH"}',
        1,
        0,
      ),
    ],
    result: { job: 'payment', glassbox_kind: 'AMOUNT_MISMATCH' },
  },
  OtlpItemsDropped: {
    series: [counter(`observatory_otlp_items_dropped_total${lbl({ ...OBS, signal: 'spans' })}`, 1, 0)],
    result: { job: 'observatory' },
  },
  OtlpItemsRejected: {
    series: [counter(`observatory_otlp_items_rejected_total${lbl({ ...OBS, signal: 'logs' })}`, 1, 0)],
    result: { job: 'observatory' },
  },
  ObservatoryStoreNearLimit: {
    series: [
      gauge(`observatory_store_bytes${lbl(OBS)}`, 911, 899),
      gauge(`observatory_store_max_bytes${lbl(OBS)}`, 1000, 1000),
    ],
    result: { job: 'observatory' },
  },
  ObservatoryWriteQueueFull: {
    series: [
      gauge(`observatory_write_queue_rows${lbl(OBS)}`, 810, 790),
      gauge(`observatory_write_queue_max_rows${lbl(OBS)}`, 1000, 1000),
    ],
    result: { job: 'observatory' },
  },
  // The alerts for faults the others did not see (classic-alerts.ts, FAULT_SIGNAL_GROUPS).
  EventLoopSaturated: {
    series: [gauge(`nodejs_eventloop_utilization${lbl(ORDER)}`, 0.91, 0.89)],
    result: { job: 'order' },
  },
  UpstreamCallsSlow: {
    series: dependencyBuckets([
      ['0.5', 95, 97],
      ['1', 98, 100],
      ['2.5', 100, 100],
      ['+Inf', 100, 100],
    ]),
    result: { job: 'order', glassbox_dependency: 'payment' },
  },
  DbConnectionsFailing: {
    series: [
      counter(
        `glassbox_db_connection_failures_total${lbl({ ...ORDER_DB, error_type: 'ECONNREFUSED' })}`,
        11,
        9,
      ),
      counter(
        `db_client_operation_duration_count${lbl({ ...ORDER_DB, db_operation_name: 'SELECT' })}`,
        89,
        91,
      ),
      // The same process's statements on another database (the PostgreSQL bus's): they do not dilute it.
      counter(
        `db_client_operation_duration_count${lbl({ ...ORDER, db_namespace: 'glassbox_bus', db_operation_name: 'SELECT' })}`,
        1000,
        1000,
      ),
    ],
    result: { job: 'order', db_namespace: 'glassbox_order' },
  },
  OutboxRelayStalled: {
    series: [
      gauge(`glassbox_outbox_backlog_size${lbl({ ...ORDER, glassbox_outbox_source: 'order' })}`, 3, 3),
      // Stalled: not one event out; healthy: a busy outbox that holds a few events and publishes.
      counter(
        `messaging_client_sent_messages_total${lbl({ ...ORDER, messaging_system: 'rabbitmq', messaging_destination_name: 'order.confirmed' })}`,
        0,
        10,
      ),
    ],
    result: { job: 'order' },
  },
  JwksFetchFailing: {
    series: [
      counter(`glassbox_jwks_fetch_failures_total${lbl({ ...ORDER, error_type: 'TypeError' })}`, 1, 0),
    ],
    result: { job: 'order' },
  },
};

/**
 * Situations that must not fire an alert that is near them (the false positives an operator would curse):
 * each runs long enough for the alert's range and `for` to pass several times over, checked at every minute. Series in promtool's notation, one value per minute.
 */
export const QUIET_CASES: Readonly<
  Record<string, ReadonlyArray<{ readonly name: string; readonly series: readonly InputSeries[] }>>
> = {
  EventLoopSaturated: [
    {
      name: 'a burst of saturation shorter than its for (a deploy warming up, a big response)',
      series: [{ series: `nodejs_eventloop_utilization${lbl(ORDER)}`, values: '0.2x5 1x3 0.2x30' }],
    },
  ],
  UpstreamCallsSlow: [
    {
      name: 'a few slow calls under 1 % of them',
      series: dependencyBuckets([
        ['0.5', 995, 995],
        ['1', 995, 995],
        ['2.5', 997, 997],
        ['+Inf', 1000, 1000],
      ]).map((b) => ({ series: b.series, values: counterValues(b.above, 30) })),
    },
  ],
  UpstreamCallsFailing: [
    {
      name: '4xx answers (not found, a conflict): the callee did its job',
      series: [
        { series: dependencyCalls({ http_response_status_code: '200' }), values: counterValues(80, 30) },
        { series: dependencyCalls({ http_response_status_code: '409' }), values: counterValues(20, 30) },
      ],
    },
  ],
  DbConnectionsFailing: [
    {
      name: 'one burst of refused connections (a server restart) among steady statements',
      series: [
        {
          series: `glassbox_db_connection_failures_total${lbl({ ...ORDER_DB, error_type: 'ECONNREFUSED' })}`,
          values: '0x10 30x30',
        },
        {
          series: `db_client_operation_duration_count${lbl({ ...ORDER_DB, db_operation_name: 'SELECT' })}`,
          values: counterValues(100, 40),
        },
      ],
    },
  ],
  OutboxRelayStalled: [
    {
      name: 'an idle service: an empty outbox, nothing published for a long time',
      series: [
        {
          series: `glassbox_outbox_backlog_size${lbl({ ...ORDER, glassbox_outbox_source: 'order' })}`,
          values: '0x40',
        },
      ],
    },
    {
      name: 'a quiet service whose one event waits a moment for the relay (it goes out, then all is quiet)',
      series: [
        {
          series: `glassbox_outbox_backlog_size${lbl({ ...ORDER, glassbox_outbox_source: 'order' })}`,
          values: '0x10 1 0x29',
        },
        {
          series: `messaging_client_sent_messages_total${lbl({ ...ORDER, messaging_system: 'rabbitmq', messaging_destination_name: 'order.confirmed' })}`,
          values: '0x11 1x29',
        },
      ],
    },
  ],
};

/** The longest range the expression reads, in minutes (0 for instant expressions). */
function longestRange(expr: string): number {
  return Math.max(0, ...[...expr.matchAll(/\[(\w+)\]/g)].map((m) => minutes(m[1] ?? '0s')));
}

function classicScenarios(group: string, rule: AlertingRule): AlertScenario[] {
  const c = CLASSIC_CASES[rule.alert];
  if (!c) throw new Error(`no test case for alert ${rule.alert}: add one to CLASSIC_CASES`);
  const forMin = minutes(rule.for ?? '0s');
  const range = longestRange(rule.expr);
  const { labels, annotations } = expected(rule, c.result);
  // Long enough for the range to fill with the phase's rate and for `for` to pass.
  const phase = range + forMin + 3;
  const total = phase * 2;
  const values = (s: SeriesSpec, first: 'above' | 'below', then?: 'above' | 'below') => {
    const n = then ? phase : total;
    const next = then ? { minutes: total - phase } : undefined;
    return s.kind === 'gauge'
      ? gaugeValues(s[first], n, next && { ...next, value: s[then ?? first] })
      : counterValues(s[first], n, next && { ...next, perMinute: s[then ?? first] }, s.from ?? 0);
  };
  const fireAt = range + forMin + 1;
  const quiet = (QUIET_CASES[rule.alert] ?? []).map((q): AlertScenario => {
    const length = Math.max(...q.series.map((x) => expandedLength(x.values)));
    return {
      name: `${rule.alert}: silent for ${q.name}`,
      group,
      alert: rule.alert,
      series: q.series,
      checks: Array.from({ length: length - 1 }, (_, i) => ({ at: i + 1, firing: false })),
      labels,
      annotations,
      minutes: length,
    };
  });
  const more = (c.more ?? []).map(
    (m): AlertScenario => ({ ...m, group, alert: rule.alert, labels, annotations }),
  );
  return [
    ...quiet,
    ...more,
    {
      name: `${rule.alert}: fires just above its threshold${forMin > 0 ? ', after its for' : ''}`,
      group,
      alert: rule.alert,
      series: c.series.map((s) => ({ series: s.series, values: values(s, 'above') })),
      // Pending for its `for` at the earliest (the condition can hold from the first minute on).
      checks: [...(forMin > 1 ? [{ at: forMin - 1, firing: false }] : []), { at: fireAt, firing: true }],
      labels,
      annotations,
      minutes: total,
    },
    {
      name: `${rule.alert}: silent just below its threshold`,
      group,
      alert: rule.alert,
      series: c.series.map((s) => ({ series: s.series, values: values(s, 'below') })),
      checks: [
        { at: fireAt, firing: false },
        { at: total - 1, firing: false },
      ],
      labels,
      annotations,
      minutes: total,
    },
    {
      name: `${rule.alert}: resolves`,
      group,
      alert: rule.alert,
      series: c.series.map((s) => ({ series: s.series, values: values(s, 'above', 'below') })),
      checks: [
        { at: fireAt, firing: true },
        { at: total - 1, firing: false },
      ],
      labels,
      annotations,
      minutes: total,
    },
  ];
}

/** How many values promtool's expanding notation (`a+bxn`, `axn`, plain values) yields. */
export function expandedLength(values: string): number {
  return values
    .trim()
    .split(/\s+/)
    .reduce((n, term) => {
      const m = /x(\d+)$/.exec(term);
      return n + (m ? Number(m[1]) + 1 : 1);
    }, 0);
}

/** Every alert of the rule files, three or more scenarios each. */
export function alertScenarios(files: readonly RuleFile[]): AlertScenario[] {
  return files.flatMap((f) =>
    f.groups.flatMap((g) =>
      g.rules
        .filter(isAlertingRule)
        .flatMap((rule) =>
          rule.expr.includes('slo:sli_error') ? sloScenarios(g.name, rule) : classicScenarios(g.name, rule),
        ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// SLI recordings from raw series: one SLO of each query shape.

export interface RecordingCheck {
  readonly name: string;
  /** The recording group under test. */
  readonly group: string;
  readonly series: readonly InputSeries[];
  readonly at: number;
  readonly expr: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
}

const sloLabels = (
  id: string,
  service: string,
  slo: string,
  owner: string,
  tier: string,
  window: string,
) => ({
  owner,
  sloth_id: id,
  sloth_service: service,
  sloth_slo: slo,
  sloth_window: window,
  tier,
});

export const RECORDING_CHECKS: readonly RecordingCheck[] = [
  {
    name: 'checkout success: system failures over all checkouts',
    group: 'sloth-slo-sli-recordings-checkout-checkout-success',
    series: [
      {
        series: 'glassbox_checkouts_total{job="order",glassbox_checkout_outcome="confirmed"}',
        values: '0+90x60',
      },
      {
        series: 'glassbox_checkouts_total{job="order",glassbox_checkout_outcome="business_failure"}',
        values: '0+8x60',
      },
      {
        series: 'glassbox_checkouts_total{job="order",glassbox_checkout_outcome="system_failure"}',
        values: '0+2x60',
      },
    ],
    at: 60,
    expr: 'slo:sli_error:ratio_rate1h{sloth_id="checkout-checkout-success"}',
    value: 0.02,
    labels: sloLabels('checkout-checkout-success', 'checkout', 'checkout-success', 'team-orders', '1', '1h'),
  },
  {
    name: 'checkout success: no system failure series at all is a ratio of 0',
    group: 'sloth-slo-sli-recordings-checkout-checkout-success',
    series: [
      {
        series: 'glassbox_checkouts_total{job="order",glassbox_checkout_outcome="confirmed"}',
        values: '0+90x60',
      },
    ],
    at: 60,
    expr: 'slo:sli_error:ratio_rate30m{sloth_id="checkout-checkout-success"}',
    value: 0,
    labels: sloLabels('checkout-checkout-success', 'checkout', 'checkout-success', 'team-orders', '1', '30m'),
  },
  {
    name: 'checkout latency: answers over 500 ms (202 left out) over all answers',
    group: 'sloth-slo-sli-recordings-checkout-checkout-latency',
    series: [
      {
        series:
          'http_server_request_duration_count{job="order",http_route="/api/v1/orders",http_request_method="POST",http_response_status_code="201"}',
        values: '0+100x60',
      },
      {
        series:
          'http_server_request_duration_bucket{job="order",http_route="/api/v1/orders",http_request_method="POST",http_response_status_code="201",le="0.5"}',
        values: '0+97x60',
      },
      {
        series:
          'http_server_request_duration_count{job="order",http_route="/api/v1/orders",http_request_method="POST",http_response_status_code="202"}',
        values: '0+50x60',
      },
      {
        series:
          'http_server_request_duration_bucket{job="order",http_route="/api/v1/orders",http_request_method="POST",http_response_status_code="202",le="0.5"}',
        values: '0+0x60',
      },
    ],
    at: 60,
    expr: 'slo:sli_error:ratio_rate5m{sloth_id="checkout-checkout-latency"}',
    value: 0.03,
    labels: sloLabels('checkout-checkout-latency', 'checkout', 'checkout-latency', 'team-orders', '1', '5m'),
  },
  {
    name: 'public API orders: 5xx at the gateway over all its answers for the route group',
    group: 'sloth-slo-sli-recordings-public-api-orders-availability',
    series: [
      {
        series:
          'http_server_request_duration_count{job="gateway",http_route="/api/v1/orders/:id",http_response_status_code="201"}',
        values: '0+95x60',
      },
      {
        series:
          'http_server_request_duration_count{job="gateway",http_route="/api/v1/orders/:id",http_response_status_code="502"}',
        values: '0+5x60',
      },
      {
        series:
          'http_server_request_duration_count{job="gateway",http_route="/api/v1/products",http_response_status_code="503"}',
        values: '0+50x60',
      },
    ],
    at: 60,
    expr: 'slo:sli_error:ratio_rate1h{sloth_id="public-api-orders-availability"}',
    value: 0.05,
    labels: sloLabels(
      'public-api-orders-availability',
      'public-api',
      'orders-availability',
      'team-platform',
      '1',
      '1h',
    ),
  },
  {
    name: 'observatory ingest: items received but not accepted over items received',
    group: 'sloth-slo-sli-recordings-observatory-ingest-availability',
    series: [
      {
        series: 'observatory_otlp_items_received_total{job="observatory",signal="spans"}',
        values: '0+1000x60',
      },
      {
        series: 'observatory_otlp_items_accepted_total{job="observatory",signal="spans"}',
        values: '0+990x60',
      },
    ],
    at: 60,
    expr: 'slo:sli_error:ratio_rate30m{sloth_id="observatory-ingest-availability"}',
    value: 0.01,
    labels: sloLabels(
      'observatory-ingest-availability',
      'observatory',
      'ingest-availability',
      'team-observability',
      '2',
      '30m',
    ),
  },
];
