/**
 * The Grafana dashboards (deploy/grafana/dashboards/*.json), as data: each panel's PromQL lives here once, the
 * JSON is rendered from it, and the dashboard test (dashboards.int.test.ts) runs every one of these queries
 * against a real Prometheus scraping a running Glassbox under load. Provisioned by compose and Kubernetes;
 * each file also imports by hand (Dashboards → New → Import).
 */
import { DATASOURCE_UIDS } from './observability.js';

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';

export interface PanelQuery {
  readonly expr: string;
  readonly legend?: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  readonly type?: 'timeseries' | 'stat' | 'table';
  readonly unit?: string;
  readonly queries: readonly PanelQuery[];
}

export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /** A Prometheus `label_values(<metric>, <label>)` query. */
  readonly metric: string;
  readonly labelName: string;
  /** The value the dashboard opens with (it must be among the resolved values); else Grafana takes the first. */
  readonly current?: string;
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly file: string;
  readonly description: string;
  readonly variables: readonly VariableSpec[];
  readonly panels: readonly PanelSpec[];
}

const R = '$__rate_interval';
const rate = (metric: string, selector = '') => `rate(${metric}${selector ? `{${selector}}` : ''}[${R}])`;
/** Errors over all, per group; 0 (not "no data") while a group has had no 5xx answer yet. */
const errorRatio = (by: string, selector = '') => {
  const sel = (extra: string) => [selector, extra].filter(Boolean).join(',');
  const all = `sum by (${by}) (${rate('http_server_request_duration_count', sel(''))})`;
  return `(sum by (${by}) (${rate('http_server_request_duration_count', sel('http_response_status_code=~"5.."'))}) or ${all} * 0) / ${all}`;
};
const quantile = (q: number, by: string, metric: string, selector = '') =>
  `histogram_quantile(${q}, sum by (${[by, 'le'].filter(Boolean).join(', ')}) (${rate(metric, selector)}))`;

const TENANT_COUNT = 'glassbox_gateway_tenant_request_duration_count';

const SERVICE_VARIABLE: VariableSpec = {
  name: 'service',
  label: 'Service',
  metric: 'http_server_request_duration_count',
  labelName: 'job',
  current: 'order',
};

export const DASHBOARDS: readonly DashboardSpec[] = [
  {
    uid: 'glassbox-overview',
    title: 'Glassbox / Overview',
    file: 'overview.json',
    description:
      'RED per service: request rate, error ratio and latency of every service, and whether it is up.',
    variables: [],
    panels: [
      {
        title: 'Requests per second',
        unit: 'reqps',
        queries: [
          { expr: `sum by (job) (${rate('http_server_request_duration_count')})`, legend: '{{job}}' },
        ],
      },
      {
        title: 'Error ratio (5xx)',
        unit: 'percentunit',
        queries: [{ expr: errorRatio('job'), legend: '{{job}}' }],
      },
      {
        title: 'Latency p99',
        unit: 's',
        queries: [{ expr: quantile(0.99, 'job', 'http_server_request_duration_bucket'), legend: '{{job}}' }],
      },
      {
        title: 'Latency p50',
        unit: 's',
        queries: [{ expr: quantile(0.5, 'job', 'http_server_request_duration_bucket'), legend: '{{job}}' }],
      },
      {
        title: 'Targets up',
        type: 'stat',
        queries: [{ expr: 'up', legend: '{{job}}' }],
      },
    ],
  },
  {
    uid: 'glassbox-service',
    title: 'Glassbox / Service detail',
    file: 'service-detail.json',
    description: 'One service: its routes, the services and database it depends on, and its runtime.',
    variables: [SERVICE_VARIABLE],
    panels: [
      {
        title: 'Requests per route',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (http_request_method, http_route) (${rate('http_server_request_duration_count', 'job="$service"')})`,
            legend: '{{http_request_method}} {{http_route}}',
          },
        ],
      },
      {
        title: 'Error ratio per route',
        unit: 'percentunit',
        queries: [{ expr: errorRatio('http_route', 'job="$service"'), legend: '{{http_route}}' }],
      },
      {
        title: 'Latency p95 per route',
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, 'http_route', 'http_server_request_duration_bucket', 'job="$service"'),
            legend: '{{http_route}}',
          },
        ],
      },
      {
        title: 'Calls to dependencies',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (server_address, server_port, http_response_status_code) (${rate('http_client_request_duration_count', 'job="$service"')})`,
            legend: '{{server_address}}:{{server_port}} {{http_response_status_code}}',
          },
        ],
      },
      {
        title: 'Dependency latency p95',
        unit: 's',
        queries: [
          {
            expr: quantile(
              0.95,
              'server_address, server_port',
              'http_client_request_duration_bucket',
              'job="$service"',
            ),
            legend: '{{server_address}}:{{server_port}}',
          },
        ],
      },
      {
        title: 'Database operations',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (db_operation_name) (${rate('db_client_operation_duration_count', 'job="$service"')})`,
            legend: '{{db_operation_name}}',
          },
        ],
      },
      {
        title: 'Event-loop delay',
        unit: 's',
        queries: [
          { expr: 'max(nodejs_eventloop_delay_p99{job="$service"})', legend: 'p99' },
          { expr: 'max(nodejs_eventloop_delay_max{job="$service"})', legend: 'max' },
        ],
      },
      {
        title: 'Database pool',
        queries: [
          {
            expr: 'sum by (db_client_connection_state) (db_client_connections_usage{job="$service"})',
            legend: '{{db_client_connection_state}}',
          },
        ],
      },
    ],
  },
  {
    uid: 'glassbox-slos',
    title: 'Glassbox / SLOs and error budgets',
    file: 'slos.json',
    description:
      'Every SLO of slo/*.yaml: its burn rate, the budget left over the period, and the alerts firing.',
    variables: [],
    panels: [
      {
        title: 'Burn rate (5m)',
        queries: [{ expr: 'max by (sloth_id) (slo:current_burn_rate:ratio)', legend: '{{sloth_id}}' }],
      },
      {
        title: 'Error budget remaining (period)',
        unit: 'percentunit',
        queries: [
          { expr: 'max by (sloth_id) (slo:period_error_budget_remaining:ratio)', legend: '{{sloth_id}}' },
        ],
      },
      {
        title: 'SLI error ratio, 5m and 1h',
        unit: 'percentunit',
        queries: [
          { expr: 'max by (sloth_id) (slo:sli_error:ratio_rate5m)', legend: '{{sloth_id}} 5m' },
          { expr: 'max by (sloth_id) (slo:sli_error:ratio_rate1h)', legend: '{{sloth_id}} 1h' },
        ],
      },
      {
        title: 'Objectives',
        type: 'table',
        unit: 'percentunit',
        queries: [{ expr: 'max by (sloth_id) (slo:objective:ratio)', legend: '{{sloth_id}}' }],
      },
      {
        title: 'Alerts firing',
        type: 'stat',
        queries: [{ expr: 'count(ALERTS{alertstate="firing"}) or vector(0)', legend: 'firing' }],
      },
    ],
  },
  {
    uid: 'glassbox-business',
    title: 'Glassbox / Business',
    file: 'business.json',
    description: 'Orders, revenue, payment outcomes and flash sales, from the services’ own counters.',
    variables: [],
    panels: [
      {
        title: 'Orders created per minute',
        unit: 'short',
        queries: [{ expr: `sum(${rate('glassbox_orders_created_total')}) * 60`, legend: 'orders/min' }],
      },
      {
        title: 'Checkouts by outcome',
        unit: 'short',
        queries: [
          {
            expr: `sum by (glassbox_checkout_outcome) (${rate('glassbox_checkouts_total')}) * 60`,
            legend: '{{glassbox_checkout_outcome}}',
          },
        ],
      },
      {
        title: 'Revenue captured per minute (minor units)',
        unit: 'short',
        queries: [
          {
            expr: `sum by (glassbox_currency) (${rate('glassbox_payments_amount_total', 'glassbox_operation="capture"')}) * 60`,
            legend: '{{glassbox_currency}}',
          },
        ],
      },
      {
        title: 'Payment outcomes',
        unit: 'short',
        queries: [
          { expr: `sum(${rate('glassbox_payments_authorized_total')}) * 60`, legend: 'authorized' },
          { expr: `sum(${rate('glassbox_payments_captured_total')}) * 60`, legend: 'captured' },
          { expr: `sum(${rate('glassbox_payments_declined_total')}) * 60`, legend: 'declined' },
        ],
      },
      {
        title: 'Checkout saga duration p95',
        unit: 's',
        queries: [{ expr: quantile(0.95, '', 'glassbox_checkout_saga_duration_bucket'), legend: 'p95' }],
      },
      {
        title: 'Stock reserved and committed per minute',
        unit: 'short',
        queries: [
          { expr: `sum(${rate('glassbox_stock_reserved_total')}) * 60`, legend: 'reserved' },
          { expr: `sum(${rate('glassbox_stock_committed_total')}) * 60`, legend: 'committed' },
        ],
      },
      {
        title: 'Flash sale attempts per second by outcome',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (glassbox_outcome) (${rate('glassbox_flash_sale_attempts_total')})`,
            legend: '{{glassbox_outcome}}',
          },
        ],
      },
      {
        title: 'Flash sale admission p99',
        unit: 's',
        queries: [
          { expr: quantile(0.99, '', 'glassbox_flash_sale_admission_duration_bucket'), legend: 'p99' },
        ],
      },
      {
        title: 'Flash sale admission queue and oversell check (must stay 0)',
        unit: 'short',
        queries: [
          { expr: 'max(glassbox_flash_sale_queue_depth)', legend: 'queue depth' },
          { expr: 'max(glassbox_flash_sale_units_oversold)', legend: 'units oversold' },
        ],
      },
    ],
  },
  {
    uid: 'glassbox-runtime',
    title: 'Glassbox / Runtime and infrastructure',
    file: 'runtime.json',
    description:
      'Event-loop delay, database pools and latency, the event bus and the backlogs of every service.',
    variables: [],
    panels: [
      {
        title: 'Event-loop delay p99',
        unit: 's',
        queries: [{ expr: 'max by (job) (nodejs_eventloop_delay_p99)', legend: '{{job}}' }],
      },
      {
        title: 'V8 heap used',
        unit: 'bytes',
        queries: [{ expr: 'sum by (job) (v8js_memory_heap_used)', legend: '{{job}}' }],
      },
      {
        title: 'V8 heap used against its limit',
        unit: 'percentunit',
        queries: [
          {
            expr: 'sum by (job) (v8js_memory_heap_used) / sum by (job) (v8js_memory_heap_limit)',
            legend: '{{job}}',
          },
        ],
      },
      {
        title: 'GC pause p99 (major and minor)',
        unit: 's',
        queries: [
          {
            expr: quantile(0.99, 'job, v8js_gc_type', 'v8js_gc_duration_bucket'),
            legend: '{{job}} {{v8js_gc_type}}',
          },
        ],
      },
      {
        title: 'Time in GC per second',
        unit: 's',
        queries: [{ expr: `sum by (job) (${rate('v8js_gc_duration_sum')})`, legend: '{{job}}' }],
      },
      {
        title: 'Database pool in use',
        queries: [
          {
            expr: 'sum by (job) (db_client_connections_usage{db_client_connection_state="used"})',
            legend: '{{job}}',
          },
        ],
      },
      {
        title: 'Database operation latency p95',
        unit: 's',
        queries: [{ expr: quantile(0.95, 'job', 'db_client_operation_duration_bucket'), legend: '{{job}}' }],
      },
      {
        title: 'Event bus lag p95',
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, 'messaging_destination_name', 'glassbox_bus_lag_bucket'),
            legend: '{{messaging_destination_name}}',
          },
        ],
      },
      {
        title: 'Messages consumed per second',
        unit: 'short',
        queries: [
          {
            expr: `sum by (messaging_destination_name) (${rate('messaging_client_consumed_messages_total')})`,
            legend: '{{messaging_destination_name}}',
          },
        ],
      },
      {
        title: 'Outbox and saga backlogs',
        queries: [
          { expr: 'sum by (job) (glassbox_outbox_backlog_size)', legend: 'outbox {{job}}' },
          {
            expr: 'sum by (glassbox_saga_type) (glassbox_saga_backlog_size)',
            legend: 'saga {{glassbox_saga_type}}',
          },
        ],
      },
      {
        title: 'Periodic workers: runs per minute',
        unit: 'short',
        queries: [
          {
            expr: `sum by (glassbox_worker_name) (${rate('glassbox_worker_runs_total')}) * 60`,
            legend: '{{glassbox_worker_name}}',
          },
        ],
      },
    ],
  },
  {
    uid: 'glassbox-tenants',
    title: 'Glassbox / Tenants',
    file: 'tenants.json',
    description: 'Traffic, errors and latency per tenant, as the gateway sees the verified requests.',
    variables: [
      {
        name: 'tenant',
        label: 'Tenant',
        metric: 'glassbox_gateway_tenant_request_duration_count',
        labelName: 'glassbox_tenant_id',
      },
    ],
    panels: [
      {
        title: 'Requests per second by tenant',
        unit: 'reqps',
        queries: [
          { expr: `sum by (glassbox_tenant_id) (${rate(TENANT_COUNT)})`, legend: '{{glassbox_tenant_id}}' },
        ],
      },
      {
        title: 'Error ratio (5xx) by tenant',
        unit: 'percentunit',
        queries: [
          {
            expr: `(sum by (glassbox_tenant_id) (${rate(TENANT_COUNT, 'http_response_status_class="5xx"')}) or sum by (glassbox_tenant_id) (${rate(TENANT_COUNT)}) * 0) / sum by (glassbox_tenant_id) (${rate(TENANT_COUNT)})`,
            legend: '{{glassbox_tenant_id}}',
          },
        ],
      },
      {
        title: 'Latency p95 by tenant',
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, 'glassbox_tenant_id', 'glassbox_gateway_tenant_request_duration_bucket'),
            legend: '{{glassbox_tenant_id}}',
          },
        ],
      },
      {
        title: 'Tenant $tenant: requests by service and status class',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (glassbox_upstream, http_response_status_class) (${rate(TENANT_COUNT, 'glassbox_tenant_id="$tenant"')})`,
            legend: '{{glassbox_upstream}} {{http_response_status_class}}',
          },
        ],
      },
    ],
  },
  {
    uid: 'glassbox-observatory',
    title: 'Glassbox / Observatory self-stats',
    file: 'observatory.json',
    description:
      'The observatory watching itself: OTLP items in, accepted and dropped, its store and write queue.',
    variables: [],
    panels: [
      {
        title: 'OTLP items per second',
        unit: 'short',
        queries: [
          {
            expr: `sum by (signal) (${rate('observatory_otlp_items_received_total')})`,
            legend: 'received {{signal}}',
          },
          {
            expr: `sum by (signal) (${rate('observatory_otlp_items_accepted_total')})`,
            legend: 'accepted {{signal}}',
          },
        ],
      },
      {
        title: 'OTLP items dropped or rejected',
        unit: 'short',
        queries: [
          { expr: `sum(${rate('observatory_otlp_items_dropped_total')})`, legend: 'dropped' },
          { expr: `sum(${rate('observatory_otlp_items_rejected_total')})`, legend: 'rejected' },
        ],
      },
      {
        title: 'Store size against its limit',
        unit: 'percentunit',
        queries: [
          { expr: 'max(observatory_store_bytes) / max(observatory_store_max_bytes)', legend: 'used' },
        ],
      },
      {
        title: 'Write queue',
        queries: [
          { expr: 'max(observatory_write_queue_rows)', legend: 'rows' },
          { expr: 'max(observatory_write_queue_max_rows)', legend: 'limit' },
        ],
      },
    ],
  },
];

const datasource = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus };

function panelJson(panel: PanelSpec, index: number) {
  const type = panel.type ?? 'timeseries';
  const width = 12;
  const height = 8;
  return {
    id: index + 1,
    type,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource,
    gridPos: { h: height, w: width, x: (index % 2) * width, y: Math.floor(index / 2) * height },
    fieldConfig: { defaults: { unit: panel.unit ?? 'short' }, overrides: [] },
    options: type === 'timeseries' ? { legend: { displayMode: 'list', placement: 'bottom' } } : {},
    targets: panel.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: q.expr,
      legendFormat: q.legend ?? '',
      exemplar: type === 'timeseries',
      range: type !== 'table',
      instant: type === 'table',
    })),
  };
}

/** Grafana's dashboard JSON (schema 39), with the data source as an input so a hand import asks for it. */
export function dashboardJson(spec: DashboardSpec) {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['glassbox'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: spec.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource,
        query: {
          query: `label_values(${v.metric}, ${v.labelName})`,
          refId: 'PrometheusVariableQueryEditor-VariableQuery',
        },
        definition: `label_values(${v.metric}, ${v.labelName})`,
        ...(v.current ? { current: { text: v.current, value: v.current } } : {}),
        refresh: 2,
        sort: 1,
        includeAll: false,
        multi: false,
      })),
    },
    links: [
      {
        title: 'Glassbox dashboards',
        type: 'dashboards',
        tags: ['glassbox'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
      },
    ],
    panels: spec.panels.map(panelJson),
  };
}

export function dashboardFiles(): { path: string; text: string }[] {
  return DASHBOARDS.map((d) => ({
    path: `${DASHBOARD_DIR}/${d.file}`,
    text: `${JSON.stringify(dashboardJson(d), null, 2)}\n`,
  }));
}
