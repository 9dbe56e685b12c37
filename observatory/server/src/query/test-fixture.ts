/**
 * Known telemetry for the query tests: six traces, five logs and three metrics around T0, small enough that
 * every expected number in the tests is computed by hand (see the comments next to each row).
 */
import { TelemetryStore } from '../store/telemetry-store.js';
import { EMPTY_ENVELOPE, type LogRow, type MetricPointRow, type SpanRow } from '../store/types.js';

/** 2023-11-14T22:13:20Z; the fixture's hour is [T0, T0 + 1 h). */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const MIN = 60_000;

export const ns = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

export const TRACE = {
  A: 'a'.repeat(32),
  B: 'b'.repeat(32),
  C: 'c'.repeat(32),
  D: 'd'.repeat(32),
  E: 'e'.repeat(32),
  F: 'f'.repeat(32),
} as const;

export const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export function resourceOf(service: string, instance = `${service}-1`): Record<string, unknown> {
  return { 'service.name': service, 'service.instance.id': instance, 'deployment.environment.name': 'test' };
}

interface SpanSpec {
  trace: string;
  id: string;
  parent?: string;
  name: string;
  kind: number;
  service: string;
  /** ms after T0 */
  at: number;
  ms: number;
  status?: number;
  message?: string;
  attrs?: Record<string, unknown>;
  events?: { name: string; atMs: number; attributes: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
  scope?: string;
  traceState?: string;
}

export function spanRow(s: SpanSpec): SpanRow {
  const start = ns(T0 + s.at);
  const duration = ns(s.ms);
  return {
    traceId: s.trace,
    spanId: s.id,
    parentSpanId: s.parent ?? '',
    traceState: s.traceState ?? '',
    name: s.name,
    kind: s.kind,
    service: s.service,
    startNs: start,
    endNs: start + duration,
    durationNs: duration,
    statusCode: s.status ?? 0,
    statusMessage: s.message ?? '',
    attributes: JSON.stringify(s.attrs ?? {}),
    resource: JSON.stringify(resourceOf(s.service)),
    scopeName: s.scope ?? '@opentelemetry/instrumentation-http',
    events: JSON.stringify(
      (s.events ?? []).map((e) => ({
        name: e.name,
        timeUnixNano: ns(T0 + e.atMs).toString(),
        attributes: e.attributes,
      })),
    ),
    links: JSON.stringify((s.links ?? []).map((l) => ({ ...l, traceState: '', attributes: {} }))),
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

const id = (trace: string, n: number) => `${trace.slice(0, 1)}${String(n).padStart(15, '0')}`;
export const SPAN = (trace: keyof typeof TRACE, n: number): string => id(TRACE[trace], n);

const A = 10 * MIN;
const B = 20 * MIN;
const C = 30 * MIN;
const D = 40 * MIN;
const E = 50 * MIN;

/**
 * A (T0+10m, 120 ms): gateway → order → payment, all fine; payment span has an event and links to B.
 * B (T0+20m, 300 ms): the same path failing: gateway (502), order (500), payment (503, "card declined").
 * C (T0+30m, 50 ms): gateway → catalog, fine.
 * D (T0+40m, 40 ms): catalog alone, HTTP 500 without an error status (a RED error, not a status error).
 * E (T0+50m, 20 ms): order PRODUCER → notification CONSUMER.
 * F (T0−30m): a gateway request before the hour.
 */
export const SPANS: SpanRow[] = [
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 1),
    name: 'POST /api/v1/orders',
    kind: KIND.server,
    service: 'gateway',
    at: A,
    ms: 120,
    attrs: {
      'http.route': '/api/v1/orders',
      'http.request.method': 'POST',
      'http.response.status_code': 201,
    },
  }),
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 2),
    parent: SPAN('A', 1),
    name: 'POST',
    kind: KIND.client,
    service: 'gateway',
    at: A + 5,
    ms: 100,
  }),
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 3),
    parent: SPAN('A', 2),
    name: 'POST /orders',
    kind: KIND.server,
    service: 'order',
    at: A + 10,
    ms: 90,
    attrs: { 'http.route': '/orders', 'http.response.status_code': 201, 'tenant.id': 'demo' },
  }),
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 4),
    parent: SPAN('A', 3),
    name: 'POST',
    kind: KIND.client,
    service: 'order',
    at: A + 20,
    ms: 40,
  }),
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 5),
    parent: SPAN('A', 4),
    name: 'POST /payments',
    kind: KIND.server,
    service: 'payment',
    at: A + 25,
    ms: 30,
    status: 1,
    attrs: {
      'http.route': '/payments',
      'http.response.status_code': 201,
      'payment.method': 'card',
      'retry.count': 0,
      ratio: 0.25,
      tags: ['x', 'y'],
      'card.present': true,
    },
    events: [{ name: 'charge', atMs: A + 30, attributes: { amount: 1234 } }],
    links: [{ traceId: TRACE.B, spanId: SPAN('B', 1) }],
    scope: 'glassbox-payment',
    traceState: 'vendor=1',
  }),
  spanRow({
    trace: TRACE.A,
    id: SPAN('A', 6),
    parent: SPAN('A', 3),
    name: 'pg.query',
    kind: KIND.internal,
    service: 'order',
    at: A + 70,
    ms: 5,
    attrs: { 'db.system': 'postgresql' },
  }),

  spanRow({
    trace: TRACE.B,
    id: SPAN('B', 1),
    name: 'POST /api/v1/orders',
    kind: KIND.server,
    service: 'gateway',
    at: B,
    ms: 300,
    status: 2,
    attrs: { 'http.route': '/api/v1/orders', 'http.response.status_code': 502 },
  }),
  spanRow({
    trace: TRACE.B,
    id: SPAN('B', 2),
    parent: SPAN('B', 1),
    name: 'POST',
    kind: KIND.client,
    service: 'gateway',
    at: B + 5,
    ms: 280,
  }),
  spanRow({
    trace: TRACE.B,
    id: SPAN('B', 3),
    parent: SPAN('B', 2),
    name: 'POST /orders',
    kind: KIND.server,
    service: 'order',
    at: B + 10,
    ms: 250,
    status: 2,
    attrs: { 'http.route': '/orders', 'http.response.status_code': 500 },
  }),
  spanRow({
    trace: TRACE.B,
    id: SPAN('B', 4),
    parent: SPAN('B', 3),
    name: 'POST',
    kind: KIND.client,
    service: 'order',
    at: B + 20,
    ms: 220,
  }),
  spanRow({
    trace: TRACE.B,
    id: SPAN('B', 5),
    parent: SPAN('B', 4),
    name: 'POST /payments',
    kind: KIND.server,
    service: 'payment',
    at: B + 25,
    ms: 200,
    status: 2,
    message: 'card declined',
    attrs: { 'http.route': '/payments', 'http.response.status_code': 503 },
  }),

  spanRow({
    trace: TRACE.C,
    id: SPAN('C', 1),
    name: 'GET /api/v1/products',
    kind: KIND.server,
    service: 'gateway',
    at: C,
    ms: 50,
    attrs: { 'http.route': '/api/v1/products', 'http.response.status_code': 200 },
  }),
  spanRow({
    trace: TRACE.C,
    id: SPAN('C', 2),
    parent: SPAN('C', 1),
    name: 'GET',
    kind: KIND.client,
    service: 'gateway',
    at: C + 5,
    ms: 40,
  }),
  spanRow({
    trace: TRACE.C,
    id: SPAN('C', 3),
    parent: SPAN('C', 2),
    name: 'GET /products',
    kind: KIND.server,
    service: 'catalog',
    at: C + 10,
    ms: 30,
    attrs: { 'http.route': '/products', 'http.response.status_code': 200 },
  }),

  spanRow({
    trace: TRACE.D,
    id: SPAN('D', 1),
    name: 'GET /products',
    kind: KIND.server,
    service: 'catalog',
    at: D,
    ms: 40,
    attrs: { 'http.response.status_code': 500 },
  }),

  spanRow({
    trace: TRACE.E,
    id: SPAN('E', 1),
    name: 'orders publish',
    kind: KIND.producer,
    service: 'order',
    at: E,
    ms: 2,
  }),
  spanRow({
    trace: TRACE.E,
    id: SPAN('E', 2),
    parent: SPAN('E', 1),
    name: 'orders process',
    kind: KIND.consumer,
    service: 'notification',
    at: E + 5,
    ms: 15,
    status: 1,
  }),

  spanRow({
    trace: TRACE.F,
    id: SPAN('F', 1),
    name: 'GET /api/v1/products',
    kind: KIND.server,
    service: 'gateway',
    at: -30 * MIN,
    ms: 70,
    attrs: { 'http.route': '/api/v1/products' },
  }),
];

export function logRow(l: {
  at: number;
  severity: number;
  text: string;
  body: string;
  service: string;
  trace?: string;
  span?: string;
  attrs?: Record<string, unknown>;
  /** OTLP LogRecord.event_name. */
  event?: string;
}): LogRow {
  return {
    timeNs: ns(T0 + l.at),
    observedNs: ns(T0 + l.at + 1),
    severityNumber: l.severity,
    severityText: l.text,
    body: l.body,
    service: l.service,
    traceId: l.trace ?? '',
    spanId: l.span ?? '',
    attributes: JSON.stringify(l.attrs ?? {}),
    resource: JSON.stringify(resourceOf(l.service)),
    scopeName: 'pino',
    eventName: l.event ?? '',
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
  };
}

export const LOGS: LogRow[] = [
  logRow({
    at: A + 1,
    severity: 9,
    text: 'INFO',
    body: 'request completed',
    service: 'gateway',
    trace: TRACE.A,
    span: SPAN('A', 1),
    attrs: { 'http.route': '/api/v1/orders' },
  }),
  logRow({
    at: B + 1,
    severity: 17,
    text: 'ERROR',
    body: 'Payment failed: card DECLINED',
    service: 'order',
    trace: TRACE.B,
    span: SPAN('B', 3),
  }),
  logRow({
    at: B + 30,
    severity: 13,
    text: 'WARN',
    body: 'retrying charge',
    service: 'payment',
    trace: TRACE.B,
    span: SPAN('B', 5),
    attrs: { attempt: 2 },
    event: 'payment.retry',
  }),
  logRow({ at: C + 1, severity: 5, text: 'DEBUG', body: 'cache miss 100%_done', service: 'catalog' }),
  logRow({ at: -30 * MIN, severity: 9, text: 'INFO', body: 'request completed', service: 'gateway' }),
];

interface PointSpec {
  name: string;
  type: MetricPointRow['type'];
  service: string;
  instance?: string;
  attrs?: Record<string, unknown>;
  /** ms after T0 */
  startAt: number;
  at: number;
  temporality: number;
  monotonic?: boolean | null;
  value?: number;
  count?: number;
  sum?: number;
  bounds?: number[];
  counts?: number[];
  unit?: string;
  description?: string;
}

export function pointRow(p: PointSpec): MetricPointRow {
  return {
    name: p.name,
    description: p.description ?? '',
    unit: p.unit ?? '',
    type: p.type,
    service: p.service,
    attributes: JSON.stringify(p.attrs ?? {}),
    resource: JSON.stringify(resourceOf(p.service, p.instance)),
    scopeName: 'test',
    startNs: ns(T0 + p.startAt),
    timeNs: ns(T0 + p.at),
    temporality: p.temporality,
    isMonotonic: p.monotonic ?? null,
    value: p.value ?? null,
    count: p.count === undefined ? null : BigInt(p.count),
    sum: p.sum ?? null,
    min: null,
    max: null,
    bounds: p.bounds ?? null,
    bucketCounts: p.counts === undefined ? null : p.counts.map(BigInt),
    expScale: null,
    expZeroCount: null,
    expPosOffset: null,
    expPosCounts: null,
    expNegOffset: null,
    expNegCounts: null,
    quantiles: null,
    ...EMPTY_ENVELOPE,
    flags: 0,
  };
}

const S = 1000;
const counter = (instance: string, route: string, startAt: number, at: number, value: number) =>
  pointRow({
    name: 'http.requests',
    type: 'sum',
    service: 'order',
    instance,
    attrs: { route },
    startAt,
    at,
    temporality: 2,
    monotonic: true,
    value,
    unit: '{request}',
    description: 'requests served',
  });
const gauge = (instance: string, at: number, value: number) =>
  pointRow({
    name: 'process.memory.usage',
    type: 'gauge',
    service: 'order',
    instance,
    startAt: 0,
    at,
    temporality: 0,
    value,
    unit: 'By',
  });
const histogram = (at: number, counts: number[], sum: number) =>
  pointRow({
    name: 'http.server.request.duration',
    type: 'histogram',
    service: 'payment',
    startAt: -10 * MIN,
    at,
    temporality: 2,
    count: counts.reduce((a, b) => a + b, 0),
    sum,
    bounds: [0.1, 0.5, 1],
    counts,
    unit: 's',
  });
const deltaSum = (at: number, value: number) =>
  pointRow({
    name: 'jobs.processed',
    type: 'sum',
    service: 'worker',
    startAt: at - 15 * S,
    at,
    temporality: 1,
    monotonic: true,
    value,
  });

/**
 * Metrics over [T0, T0+5m) with 60 s steps:
 * - http.requests (cumulative counter): order-1 /orders 100 → 160 → 220, restart at +120 s → 30 → 90;
 *   order-2 /orders starts at +200 s, first point 5; order-1 /health 10 → 10 → 13.
 *   increase per step: [60+0, 60+3, 30, 60+5, null].
 * - process.memory.usage (gauge): order-1 100, 200 | 300; order-2 1000 | 500 (per step).
 * - http.server.request.duration (cumulative histogram, bounds 0.1/0.5/1): step deltas
 *   [0,10,0,0] sum 3, [10,0,10,0] sum 8, [0,0,0,5] sum 10.
 * - jobs.processed (delta sum): 6 + 4 in step 0, 12 in step 1.
 */
export const POINTS: MetricPointRow[] = [
  counter('order-1', '/orders', -10 * MIN, -30 * S, 100),
  counter('order-1', '/orders', -10 * MIN, 30 * S, 160),
  counter('order-1', '/orders', -10 * MIN, 90 * S, 220),
  counter('order-1', '/orders', 120 * S, 150 * S, 30),
  counter('order-1', '/orders', 120 * S, 210 * S, 90),
  counter('order-2', '/orders', 200 * S, 230 * S, 5),
  counter('order-1', '/health', -10 * MIN, -30 * S, 10),
  counter('order-1', '/health', -10 * MIN, 30 * S, 10),
  counter('order-1', '/health', -10 * MIN, 90 * S, 13),
  gauge('order-1', 10 * S, 100),
  gauge('order-1', 40 * S, 200),
  gauge('order-1', 70 * S, 300),
  gauge('order-2', 20 * S, 1000),
  gauge('order-2', 80 * S, 500),
  histogram(-30 * S, [10, 0, 0, 0], 0.5),
  histogram(30 * S, [10, 10, 0, 0], 3.5),
  histogram(90 * S, [20, 10, 10, 0], 11.5),
  histogram(150 * S, [20, 10, 10, 5], 21.5),
  deltaSum(30 * S, 6),
  deltaSum(45 * S, 4),
  deltaSum(90 * S, 12),
];

/** A fresh in-memory store holding the fixture. */
export async function fixtureStore(): Promise<TelemetryStore> {
  const store = await TelemetryStore.open(':memory:', { readers: 2 });
  await store.insertSpans(SPANS);
  await store.insertLogs(LOGS);
  await store.insertMetricPoints(POINTS);
  return store;
}
