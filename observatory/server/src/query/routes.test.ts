import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { LatencyTracker } from './latency.js';
import { queryRoutes } from './routes.js';
import { fixtureStore, HOUR, MIN, SPAN, T0, TRACE } from './test-fixture.js';
import type {
  LogRecord,
  MetricQueryResult,
  RedRoute,
  RedService,
  SpanRecord,
  TraceSummary,
} from './types.js';

let store: TelemetryStore;
let app: FastifyInstance;
const latency = new LatencyTracker();

beforeAll(async () => {
  store = await fixtureStore();
  app = Fastify();
  await app.register(queryRoutes, { prefix: '/api', store, latency, now: () => T0 + HOUR });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await store.close();
});

async function get<T>(url: string): Promise<{ status: number; body: T; type: string }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as T, type: String(res.headers['content-type']) };
}

const hour = `start=${T0}&end=${T0 + HOUR}`;
const ids = (traces: TraceSummary[]) => traces.map((t) => t.traceId);

/** The envelope fields of a row stored without them (the fixture's rows). */
const NO_ENVELOPE = { scopeVersion: '', scopeAttributes: {}, scopeSchemaUrl: '', resourceSchemaUrl: '' };

describe('GET /api/services and operations', () => {
  it('lists every service with its span count and last span start', async () => {
    const { status, body } = await get<{ services: unknown[] }>('/api/services');
    expect(status).toBe(200);
    expect(body.services).toEqual([
      { name: 'catalog', spanCount: 2, lastSeenMs: T0 + 40 * MIN },
      { name: 'gateway', spanCount: 7, lastSeenMs: T0 + 30 * MIN + 5 },
      { name: 'notification', spanCount: 1, lastSeenMs: T0 + 50 * MIN + 5 },
      { name: 'order', spanCount: 6, lastSeenMs: T0 + 50 * MIN },
      { name: 'payment', spanCount: 2, lastSeenMs: T0 + 20 * MIN + 25 },
    ]);
  });

  it('narrows to a time range when asked', async () => {
    const { body } = await get<{ services: { name: string; spanCount: number }[] }>(`/api/services?${hour}`);
    expect(body.services.find((s) => s.name === 'gateway')?.spanCount).toBe(6);
  });

  it('lists the operations of a service with their kinds', async () => {
    const { body } = await get('/api/services/order/operations');
    expect(body).toEqual({
      operations: [
        { name: 'orders publish', spanKind: 'producer' },
        { name: 'pg.query', spanKind: 'internal' },
        { name: 'POST', spanKind: 'client' },
        { name: 'POST /orders', spanKind: 'server' },
      ].sort((a, b) => (a.name < b.name ? -1 : 1)),
    });
  });
});

describe('GET /api/traces', () => {
  it('finds every trace of the range, newest first, with summary numbers', async () => {
    const { status, body } = await get<{ traces: TraceSummary[] }>(`/api/traces?${hour}`);
    expect(status).toBe(200);
    expect(ids(body.traces)).toEqual([TRACE.E, TRACE.D, TRACE.C, TRACE.B, TRACE.A]);
    const a = body.traces.find((t) => t.traceId === TRACE.A);
    expect(a).toEqual({
      traceId: TRACE.A,
      rootService: 'gateway',
      rootName: 'POST /api/v1/orders',
      startTimeMs: T0 + 10 * MIN,
      startTimeUnixNano: `${T0 + 10 * MIN}000000`,
      durationMs: 120,
      spanCount: 6,
      errorCount: 0,
      services: [
        { name: 'order', spanCount: 3 },
        { name: 'gateway', spanCount: 2 },
        { name: 'payment', spanCount: 1 },
      ],
    });
    expect(body.traces.find((t) => t.traceId === TRACE.B)?.errorCount).toBe(3);
    expect(body.traces.find((t) => t.traceId === TRACE.E)?.durationMs).toBe(20);
  });

  it('defaults to the last hour', async () => {
    const { body } = await get<{ traces: TraceSummary[] }>('/api/traces');
    expect(ids(body.traces)).toEqual([TRACE.E, TRACE.D, TRACE.C, TRACE.B, TRACE.A]);
  });

  it('includes and excludes by time range', async () => {
    const before = await get<{ traces: TraceSummary[] }>(`/api/traces?start=${T0 - HOUR}&end=${T0}`);
    expect(ids(before.body.traces)).toEqual([TRACE.F]);
    const middle = await get<{ traces: TraceSummary[] }>(
      `/api/traces?start=${T0 + 15 * MIN}&end=${T0 + 35 * MIN}`,
    );
    expect(ids(middle.body.traces)).toEqual([TRACE.C, TRACE.B]);
  });

  it('filters by service and operation', async () => {
    expect(
      ids((await get<{ traces: TraceSummary[] }>(`/api/traces?${hour}&service=payment`)).body.traces),
    ).toEqual([TRACE.B, TRACE.A]);
    expect(
      ids(
        (
          await get<{ traces: TraceSummary[] }>(
            `/api/traces?${hour}&service=catalog&operation=GET%20/products`,
          )
        ).body.traces,
      ),
    ).toEqual([TRACE.D, TRACE.C]);
    expect(
      ids(
        (
          await get<{ traces: TraceSummary[] }>(
            `/api/traces?${hour}&service=gateway&operation=GET%20/products`,
          )
        ).body.traces,
      ),
    ).toEqual([]);
  });

  it('filters by attributes (text, number, resource) on one span', async () => {
    const q = async (attrs: string) =>
      ids((await get<{ traces: TraceSummary[] }>(`/api/traces?${hour}&${attrs}`)).body.traces);
    expect(await q('attr=payment.method=card')).toEqual([TRACE.A]);
    expect(await q('attr=http.response.status_code=503')).toEqual([TRACE.B]);
    expect(await q('attr=service.instance.id=notification-1')).toEqual([TRACE.E]);
    expect(await q('attr=tenant.id')).toEqual([TRACE.A]);
    expect(await q('attr=http.route=/orders&attr=http.response.status_code=500')).toEqual([TRACE.B]);
    // both filters hold, but never on the same span
    expect(await q('service=payment&attr=http.route=/orders')).toEqual([]);
  });

  it('filters by trace duration and errors', async () => {
    const q = async (params: string) =>
      ids((await get<{ traces: TraceSummary[] }>(`/api/traces?${hour}&${params}`)).body.traces);
    expect(await q('minDurationMs=100')).toEqual([TRACE.B, TRACE.A]);
    expect(await q('maxDurationMs=50')).toEqual([TRACE.E, TRACE.D, TRACE.C]);
    expect(await q('minDurationMs=45&maxDurationMs=120')).toEqual([TRACE.C, TRACE.A]);
    expect(await q('minDurationMs=120.5')).toEqual([TRACE.B]);
    expect(await q('errorsOnly=true')).toEqual([TRACE.B]);
    expect(await q('errorsOnly=false')).toHaveLength(5);
  });

  it('limits the answer', async () => {
    expect(ids((await get<{ traces: TraceSummary[] }>(`/api/traces?${hour}&limit=2`)).body.traces)).toEqual([
      TRACE.E,
      TRACE.D,
    ]);
  });

  it('rejects bad parameters with 400 problem+json', async () => {
    for (const params of [
      'limit=0',
      'limit=abc',
      'start=yesterday',
      `start=${T0 + HOUR}&end=${T0}`,
      'minDurationMs=-1',
      'minDurationMs=10&maxDurationMs=5',
      'errorsOnly=maybe',
      'attr==x',
      // Infinity to JavaScript, and it passes a schema's maximum after coercion.
      'start=1e309',
      'end=1e309',
      'limit=1e309',
      'minDurationMs=1e309',
    ]) {
      const res = await get<{ status: number; code: string; type: string; title: string }>(
        `/api/traces?${params}`,
      );
      expect(res.status, params).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body).toMatchObject({
        status: 400,
        code: 'BAD_PARAMETER',
        type: 'https://glassbox.dev/problems/bad-parameter',
      });
    }
  });
});

describe('GET /api/traces/:traceId', () => {
  it('returns every span in start order with all fields', async () => {
    const { status, body } = await get<{ traceId: string; spans: SpanRecord[] }>(
      `/api/traces/${TRACE.A.toUpperCase()}`,
    );
    expect(status).toBe(200);
    expect(body.traceId).toBe(TRACE.A);
    expect(body.spans.map((s) => s.spanId)).toEqual([1, 2, 3, 4, 5, 6].map((n) => SPAN('A', n)));
    const payment = body.spans[4] as SpanRecord;
    expect(payment).toEqual({
      traceId: TRACE.A,
      spanId: SPAN('A', 5),
      parentSpanId: SPAN('A', 4),
      traceState: 'vendor=1',
      name: 'POST /payments',
      kind: 'server',
      service: 'payment',
      startTimeUnixNano: `${T0 + 10 * MIN + 25}000000`,
      endTimeUnixNano: `${T0 + 10 * MIN + 55}000000`,
      startTimeMs: T0 + 10 * MIN + 25,
      durationMs: 30,
      statusCode: 'ok',
      statusMessage: '',
      attributes: {
        'http.route': '/payments',
        'http.response.status_code': 201,
        'payment.method': 'card',
        'retry.count': 0,
        ratio: 0.25,
        tags: ['x', 'y'],
        'card.present': true,
      },
      resource: {
        'service.name': 'payment',
        'service.instance.id': 'payment-1',
        'deployment.environment.name': 'test',
      },
      scopeName: 'glassbox-payment',
      ...NO_ENVELOPE,
      events: [
        {
          name: 'charge',
          timeUnixNano: `${T0 + 10 * MIN + 30}000000`,
          attributes: { amount: 1234 },
          droppedAttributesCount: 0,
        },
      ],
      links: [
        {
          traceId: TRACE.B,
          spanId: SPAN('B', 1),
          traceState: '',
          attributes: {},
          droppedAttributesCount: 0,
          flags: 0,
        },
      ],
      flags: 0,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
    expect(body.spans[0]?.parentSpanId).toBe('');
  });

  it('reads only the hinted window when given one, and falls back to the whole table when it is empty', async () => {
    const url = `/api/traces/${TRACE.A}`;
    const window = await get<{ spans: SpanRecord[] }>(
      `${url}?start=${T0 + 10 * MIN}&end=${T0 + 10 * MIN + 21}`,
    );
    expect(window.body.spans.map((s) => s.spanId)).toEqual([1, 2, 3, 4].map((n) => SPAN('A', n)));
    const wrong = await get<{ spans: SpanRecord[] }>(`${url}?start=${T0 + 50 * MIN}&end=${T0 + 55 * MIN}`);
    expect(wrong.body.spans).toHaveLength(6);
    expect((await get(`${url}?start=${T0 + HOUR}&end=${T0}`)).status).toBe(400);
  });

  it('404s an unknown trace and 400s a malformed id, as problem+json', async () => {
    const missing = await get<{ status: number; code: string }>(`/api/traces/${'0'.repeat(31)}1`);
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const bad = await get<{ status: number }>('/api/traces/not-a-trace-id');
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
  });
});

describe('GET /api/logs', () => {
  const bodies = (logs: LogRecord[]) => logs.map((l) => l.body);
  const q = async (params: string) =>
    (await get<{ logs: LogRecord[] }>(`/api/logs?${hour}&${params}`)).body.logs;

  it('returns the range newest first with all fields', async () => {
    const logs = await q('');
    expect(bodies(logs)).toEqual([
      'cache miss 100%_done',
      'retrying charge',
      'Payment failed: card DECLINED',
      'request completed',
    ]);
    expect(logs[1]).toEqual({
      timeUnixNano: `${T0 + 20 * MIN + 30}000000`,
      timeMs: T0 + 20 * MIN + 30,
      observedTimeUnixNano: `${T0 + 20 * MIN + 31}000000`,
      severityNumber: 13,
      severityText: 'WARN',
      body: 'retrying charge',
      service: 'payment',
      traceId: TRACE.B,
      spanId: SPAN('B', 5),
      attributes: { attempt: 2 },
      resource: {
        'service.name': 'payment',
        'service.instance.id': 'payment-1',
        'deployment.environment.name': 'test',
      },
      scopeName: 'pino',
      eventName: 'payment.retry',
      ...NO_ENVELOPE,
      flags: 0,
      droppedAttributesCount: 0,
    });
  });

  it('searches the body case-insensitively, literally', async () => {
    expect(bodies(await q('q=declined'))).toEqual(['Payment failed: card DECLINED']);
    expect(bodies(await q('q=PAYMENT%20FAILED'))).toEqual(['Payment failed: card DECLINED']);
    expect(bodies(await q('q=%25_'))).toEqual(['cache miss 100%_done']);
    expect(bodies(await q('q=_d'))).toEqual(['cache miss 100%_done']);
    expect(await q('q=nothing-like-this')).toEqual([]);
  });

  it('filters by minimum severity, by number or name', async () => {
    expect(bodies(await q('severity=warn'))).toEqual(['retrying charge', 'Payment failed: card DECLINED']);
    expect(bodies(await q('severity=17'))).toEqual(['Payment failed: card DECLINED']);
    expect(await q('severity=FATAL')).toEqual([]);
    expect(await q('severity=debug')).toHaveLength(4);
  });

  it('filters by service, trace id, attributes and time', async () => {
    expect(bodies(await q('service=catalog'))).toEqual(['cache miss 100%_done']);
    expect(bodies(await q(`traceId=${TRACE.B}`))).toEqual([
      'retrying charge',
      'Payment failed: card DECLINED',
    ]);
    expect(bodies(await q('attr=attempt=2'))).toEqual(['retrying charge']);
    expect(bodies(await q('attr=service.instance.id=gateway-1'))).toEqual(['request completed']);
    const before = await get<{ logs: LogRecord[] }>(`/api/logs?start=${T0 - HOUR}&end=${T0}`);
    expect(before.body.logs.map((l) => l.timeMs)).toEqual([T0 - 30 * MIN]);
    expect(bodies(await q('limit=1'))).toEqual(['cache miss 100%_done']);
  });

  it('rejects bad parameters with 400 problem+json', async () => {
    for (const params of ['severity=loud', 'severity=25', 'limit=5000', 'traceId=xyz', 'end=-5']) {
      const res = await get<{ code: string }>(`/api/logs?${params}`);
      expect(res.status, params).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.code).toBe('BAD_PARAMETER');
    }
  });
});

describe('GET /api/metrics', () => {
  it('lists metrics with type, unit and services', async () => {
    const { body } = await get<{ metrics: unknown[] }>('/api/metrics');
    expect(body.metrics).toEqual([
      {
        name: 'http.requests',
        type: 'sum',
        unit: '{request}',
        description: 'requests served',
        services: ['order'],
      },
      {
        name: 'http.server.request.duration',
        type: 'histogram',
        unit: 's',
        description: '',
        services: ['payment'],
      },
      { name: 'jobs.processed', type: 'sum', unit: '', description: '', services: ['worker'] },
      { name: 'process.memory.usage', type: 'gauge', unit: 'By', description: '', services: ['order'] },
    ]);
  });
});

describe('GET /api/metrics/query', () => {
  const five = `start=${T0}&end=${T0 + 5 * MIN}&step=60000`;
  const two = `start=${T0}&end=${T0 + 2 * MIN}&step=60000`;
  const three = `start=${T0}&end=${T0 + 3 * MIN}&step=60000`;
  const t = (i: number) => T0 + i * MIN;
  const m = async (params: string) => {
    const res = await get<MetricQueryResult>(`/api/metrics/query?${params}`);
    expect(res.status, params).toBe(200);
    return res.body;
  };

  it('increase of a cumulative counter across a reset and a series that starts inside the range', async () => {
    const r = await m(`name=http.requests&fn=increase&${five}`);
    expect(r).toMatchObject({ name: 'http.requests', type: 'sum', fn: 'increase', stepMs: 60000 });
    expect(r.series).toEqual([
      {
        labels: {},
        points: [
          [t(0), 60],
          [t(1), 63],
          [t(2), 30],
          [t(3), 65],
          [t(4), null],
        ],
      },
    ]);
  });

  it('rate per second, grouped by a point attribute and by a resource attribute', async () => {
    const byRoute = await m(`name=http.requests&fn=rate&groupBy=route&${five}`);
    expect(byRoute.series).toEqual([
      {
        labels: { route: '/health' },
        points: [
          [t(0), 0],
          [t(1), 3 / 60],
          [t(2), null],
          [t(3), null],
          [t(4), null],
        ],
      },
      {
        labels: { route: '/orders' },
        points: [
          [t(0), 1],
          [t(1), 1],
          [t(2), 0.5],
          [t(3), 65 / 60],
          [t(4), null],
        ],
      },
    ]);
    const byInstance = await m(`name=http.requests&fn=increase&groupBy=service.instance.id,service&${five}`);
    expect(byInstance.series).toEqual([
      {
        labels: { 'service.instance.id': 'order-1', service: 'order' },
        points: [
          [t(0), 60],
          [t(1), 63],
          [t(2), 30],
          [t(3), 60],
          [t(4), null],
        ],
      },
      {
        labels: { 'service.instance.id': 'order-2', service: 'order' },
        points: [
          [t(0), null],
          [t(1), null],
          [t(2), null],
          [t(3), 5],
          [t(4), null],
        ],
      },
    ]);
  });

  it('filters points by attribute and service', async () => {
    const health = await m(`name=http.requests&fn=increase&attr=route=/health&${five}`);
    expect(health.series[0]?.points.map((p) => p[1])).toEqual([0, 3, null, null, null]);
    const none = await m(`name=http.requests&fn=increase&service=payment&${five}`);
    expect(none).toEqual({ name: 'http.requests', type: null, fn: 'increase', stepMs: 60000, series: [] });
  });

  it('delta temporality sums are increases as they are', async () => {
    const r = await m(`name=jobs.processed&fn=increase&${two}`);
    expect(r.series[0]?.points).toEqual([
      [t(0), 10],
      [t(1), 12],
    ]);
    const rate = await m(`name=jobs.processed&fn=rate&${two}`);
    expect(rate.series[0]?.points).toEqual([
      [t(0), 10 / 60],
      [t(1), 12 / 60],
    ]);
  });

  it('sum (of each series’ last value), avg and max of a gauge', async () => {
    expect((await m(`name=process.memory.usage&fn=sum&${two}`)).series[0]?.points).toEqual([
      [t(0), 1200],
      [t(1), 800],
    ]);
    expect((await m(`name=process.memory.usage&fn=avg&${two}`)).series[0]?.points).toEqual([
      [t(0), 1300 / 3],
      [t(1), 400],
    ]);
    expect((await m(`name=process.memory.usage&fn=max&${two}`)).series[0]?.points).toEqual([
      [t(0), 1000],
      [t(1), 500],
    ]);
    const perInstance = await m(`name=process.memory.usage&fn=max&groupBy=service.instance.id&${two}`);
    expect(perInstance.series.map((s) => s.points.map((p) => p[1]))).toEqual([
      [200, 300],
      [1000, 500],
    ]);
  });

  it('quantiles from histogram buckets per step', async () => {
    const q = async (fn: string) =>
      (await m(`name=http.server.request.duration&fn=${fn}&${three}`)).series[0]?.points.map((p) => p[1]);
    const close = (actual: (number | null)[] | undefined, expected: number[]) => {
      expect(actual).toHaveLength(expected.length);
      for (const [i, e] of expected.entries()) expect(actual?.[i]).toBeCloseTo(e, 10);
    };
    // step 0: [0,10,0,0] — all ten in (0.1, 0.5]; step 1: [10,0,10,0]; step 2: [0,0,0,5] — all above 1
    close(await q('p50'), [0.3, 0.1, 1]);
    close(await q('p90'), [0.46, 0.9, 1]);
    close(await q('p95'), [0.48, 0.95, 1]);
    close(await q('p99'), [0.496, 0.99, 1]);
    close(await q('avg'), [0.3, 0.4, 2]);
    close(await q('rate'), [10 / 60, 20 / 60, 5 / 60]);
  });

  it('rejects functions that mean nothing for the metric type, and bad parameters', async () => {
    const cases = [
      `name=process.memory.usage&fn=rate&${two}`,
      `name=http.requests&fn=p95&${two}`,
      `name=http.server.request.duration&fn=max&${two}`,
      `name=http.requests&fn=median&${two}`,
      `fn=rate&${two}`,
      `name=http.requests&fn=rate&start=${T0}&end=${T0 + HOUR}&step=100`,
      `name=http.requests&fn=rate&step=0`,
    ];
    for (const params of cases) {
      const res = await get<{ code: string }>(`/api/metrics/query?${params}`);
      expect(res.status, params).toBe(400);
      expect(res.type).toContain('application/problem+json');
    }
  });
});

describe('GET /api/red', () => {
  const byName = (list: RedService[]) => new Map(list.map((s) => [s.service, s]));

  it('computes rate, errors and duration per service from SERVER and CONSUMER spans', async () => {
    const { status, body } = await get<{ services: RedService[]; stepMs: number }>(
      `/api/red?${hour}&stepMs=600000`,
    );
    expect(status).toBe(200);
    expect(body.stepMs).toBe(600000);
    const s = byName(body.services);
    expect([...s.keys()]).toEqual(['catalog', 'gateway', 'notification', 'order', 'payment']);
    // gateway: A1 120 ms, B1 300 ms (error), C1 50 ms; quantile_cont over [50, 120, 300]
    expect(s.get('gateway')).toMatchObject({
      requestCount: 3,
      errorCount: 1,
      requestRate: 3 / 3600,
      errorRatio: 1 / 3,
    });
    expect(s.get('gateway')?.p50Ms).toBeCloseTo(120, 9);
    expect(s.get('gateway')?.p95Ms).toBeCloseTo(120 + 0.9 * 180, 9);
    expect(s.get('gateway')?.p99Ms).toBeCloseTo(120 + 0.98 * 180, 9);
    // order: A3 90 ms, B3 250 ms (error); the PRODUCER span E1 is not a request
    expect(s.get('order')).toMatchObject({ requestCount: 2, errorCount: 1, errorRatio: 0.5 });
    expect(s.get('order')?.p50Ms).toBeCloseTo(170, 9);
    expect(s.get('order')?.p95Ms).toBeCloseTo(90 + 0.95 * 160, 9);
    // catalog: D1 answered 500 without an error status — still an error
    expect(s.get('catalog')).toMatchObject({ requestCount: 2, errorCount: 1, errorRatio: 0.5 });
    expect(s.get('notification')).toMatchObject({ requestCount: 1, errorCount: 0, errorRatio: 0, p50Ms: 15 });
  });

  it('has one point per step with the step’s own numbers', async () => {
    const { body } = await get<{ services: RedService[] }>(`/api/red?${hour}&stepMs=600000`);
    const gateway = byName(body.services).get('gateway');
    expect(gateway?.series).toEqual([
      { tMs: T0, requestRate: 0, errorRatio: 0, p95Ms: null },
      { tMs: T0 + 10 * MIN, requestRate: 1 / 600, errorRatio: 0, p95Ms: 120 },
      { tMs: T0 + 20 * MIN, requestRate: 1 / 600, errorRatio: 1, p95Ms: 300 },
      { tMs: T0 + 30 * MIN, requestRate: 1 / 600, errorRatio: 0, p95Ms: 50 },
      { tMs: T0 + 40 * MIN, requestRate: 0, errorRatio: 0, p95Ms: null },
      { tMs: T0 + 50 * MIN, requestRate: 0, errorRatio: 0, p95Ms: null },
    ]);
  });

  it('per route: http.route, else the span name', async () => {
    const catalog = await get<{ service: string; routes: RedRoute[] }>(
      `/api/red/catalog/routes?${hour}&stepMs=600000`,
    );
    expect(catalog.body.service).toBe('catalog');
    expect(catalog.body.routes.map((r) => [r.route, r.requestCount, r.errorCount, r.p50Ms])).toEqual([
      ['/products', 1, 0, 30],
      ['GET /products', 1, 1, 40],
    ]);
    const gateway = await get<{ routes: RedRoute[] }>(`/api/red/gateway/routes?${hour}`);
    expect(gateway.body.routes.map((r) => [r.route, r.requestCount, r.errorRatio])).toEqual([
      ['/api/v1/orders', 2, 0.5],
      ['/api/v1/products', 1, 0],
    ]);
    expect(gateway.body.routes[0]?.series).toHaveLength(60);
  });

  it('rejects a bad step', async () => {
    for (const params of ['stepMs=0', 'stepMs=10', 'stepMs=x']) {
      const res = await get<{ code: string }>(`/api/red?${hour}&${params}`);
      expect(res.status, params).toBe(400);
      expect(res.type).toContain('application/problem+json');
    }
  });
});

describe('GET /api/dependencies', () => {
  it('builds edges from parent/child spans in different services', async () => {
    const { status, body } = await get<{ nodes: unknown[]; edges: { p50Ms: number; p95Ms: number }[] }>(
      `/api/dependencies?${hour}`,
    );
    expect(status).toBe(200);
    expect(body.nodes).toEqual(
      ['catalog', 'gateway', 'notification', 'order', 'payment'].map((service) => ({ service })),
    );
    expect(
      body.edges.map((e) => ({
        ...e,
        p50Ms: Math.round(e.p50Ms * 1000) / 1000,
        p95Ms: Math.round(e.p95Ms * 1000) / 1000,
      })),
    ).toEqual([
      { parent: 'gateway', child: 'catalog', callCount: 1, errorCount: 0, p50Ms: 30, p95Ms: 30 },
      { parent: 'gateway', child: 'order', callCount: 2, errorCount: 1, p50Ms: 170, p95Ms: 242 },
      { parent: 'order', child: 'notification', callCount: 1, errorCount: 0, p50Ms: 15, p95Ms: 15 },
      { parent: 'order', child: 'payment', callCount: 2, errorCount: 1, p50Ms: 115, p95Ms: 191.5 },
    ]);
  });

  it('only counts calls in the range', async () => {
    const { body } = await get<{ edges: { parent: string; child: string }[] }>(
      `/api/dependencies?start=${T0 + 25 * MIN}&end=${T0 + 35 * MIN}`,
    );
    expect(body.edges.map((e) => `${e.parent}->${e.child}`)).toEqual(['gateway->catalog']);
  });
});

describe('GET /api/self and unknown routes', () => {
  it('reports the query handlers’ latency', async () => {
    const { status, body } = await get<{ queryLatencyMs: { p50: number; p95: number; samples: number } }>(
      '/api/self',
    );
    expect(status).toBe(200);
    expect(body.queryLatencyMs.samples).toBeGreaterThan(10);
    expect(body.queryLatencyMs.p95).toBeGreaterThanOrEqual(body.queryLatencyMs.p50);
    expect(latency.snapshot().count).toBeGreaterThan(10);
  });

  it('answers an unknown /api path with a problem+json 404', async () => {
    const res = await get<{ code: string }>('/api/nope');
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('trace_key column', () => {
  it('is filled on write and used for trace lookups', async () => {
    const own = await fixtureStore();
    try {
      const keys = await own.query<{ n: bigint }>(
        "SELECT count(*) AS n FROM spans WHERE trace_key IS DISTINCT FROM CAST('0x' || left(trace_id, 16) AS UBIGINT)",
      );
      expect(Number(keys[0]?.n)).toBe(0);
      // A deliberately wrong key on one span proves the key takes part in the lookup.
      await own.query('UPDATE spans SET trace_key = 0 WHERE span_id = $1', [SPAN('A', 6)]);
      const local = Fastify();
      await local.register(queryRoutes, { prefix: '/api', store: own, now: () => T0 + HOUR });
      const res = await local.inject({ method: 'GET', url: `/api/traces/${TRACE.A}` });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { spans: SpanRecord[] }).spans.map((s) => s.spanId)).toEqual(
        [1, 2, 3, 4, 5].map((n) => SPAN('A', n)),
      );
      await local.close();
    } finally {
      await own.close();
    }
  });
});
