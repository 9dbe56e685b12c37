import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { jaegerRoutes, normaliseTraceId, parseJaegerTags } from './jaeger.js';
import {
  type JaegerDependencyLink,
  type JaegerResponse,
  type JaegerTrace,
  toJaegerTraces,
} from './jaeger-model.js';
import { parseGoDuration } from './params.js';
import { fixtureStore, HOUR, MIN, SPAN, T0, TRACE } from './test-fixture.js';
import type { SpanRow } from './traces.js';

let store: TelemetryStore;
let app: FastifyInstance;

beforeAll(async () => {
  store = await fixtureStore();
  app = Fastify();
  await app.register(jaegerRoutes, { prefix: '/jaeger/api', store, now: () => T0 + HOUR });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await store.close();
});

async function get<T>(url: string): Promise<{ status: number; body: JaegerResponse<T> }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as JaegerResponse<T> };
}

const US0 = T0 * 1000;
const US1 = (T0 + HOUR) * 1000;
const hour = `start=${US0}&end=${US1}`;
const traceIds = (r: JaegerResponse<JaegerTrace[]>) => r.data.map((t) => t.traceID);
const search = async (params: string) => {
  const res = await get<JaegerTrace[]>(`/jaeger/api/traces?${params}`);
  expect(res.status, params).toBe(200);
  return res.body;
};

function expectJaegerError(res: { status: number; body: JaegerResponse<unknown> }, status: number): void {
  expect(res.status).toBe(status);
  expect(res.body.data).toBeNull();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors?.[0]?.code).toBe(status);
  expect(typeof res.body.errors?.[0]?.msg).toBe('string');
}

describe('Jaeger services and operations', () => {
  it('GET services', async () => {
    const { status, body } = await get<string[]>('/jaeger/api/services');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: ['catalog', 'gateway', 'notification', 'order', 'payment'],
      total: 5,
      limit: 0,
      offset: 0,
      errors: null,
    });
  });

  it('GET services/:service/operations (names only)', async () => {
    const { body } = await get<string[]>('/jaeger/api/services/order/operations');
    expect(body.data).toEqual(['POST', 'POST /orders', 'orders publish', 'pg.query']);
    expect(body.total).toBe(4);
  });

  it('GET operations with and without spanKind', async () => {
    const server = await get<{ name: string; spanKind: string }[]>(
      '/jaeger/api/operations?service=order&spanKind=server',
    );
    expect(server.body.data).toEqual([{ name: 'POST /orders', spanKind: 'server' }]);
    const all = await get<{ name: string; spanKind: string }[]>('/jaeger/api/operations?service=order');
    expect(all.body.data).toEqual([
      { name: 'POST', spanKind: 'client' },
      { name: 'POST /orders', spanKind: 'server' },
      { name: 'orders publish', spanKind: 'producer' },
      { name: 'pg.query', spanKind: 'internal' },
    ]);
    expectJaegerError(await get('/jaeger/api/operations'), 400);
    expectJaegerError(await get('/jaeger/api/operations?service=order&spanKind=sideways'), 400);
  });
});

describe('Jaeger trace search', () => {
  it('returns whole traces in Jaeger’s JSON model', async () => {
    const body = await search(`service=payment&${hour}&limit=20&lookback=custom`);
    expect(body).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    expect(traceIds(body)).toEqual([TRACE.B, TRACE.A]);
    const b = body.data[0] as JaegerTrace;
    expect(b.spans.map((s) => s.spanID)).toEqual([1, 2, 3, 4, 5].map((n) => SPAN('B', n)));
    expect(b.warnings).toBeNull();
    expect(Object.values(b.processes).map((p) => p.serviceName)).toEqual(['gateway', 'order', 'payment']);
    expect(b.processes.p3).toEqual({
      serviceName: 'payment',
      tags: [
        { key: 'service.instance.id', type: 'string', value: 'payment-1' },
        { key: 'deployment.environment.name', type: 'string', value: 'test' },
      ],
    });
    const failed = b.spans[4];
    expect(failed).toEqual({
      traceID: TRACE.B,
      spanID: SPAN('B', 5),
      operationName: 'POST /payments',
      references: [{ refType: 'CHILD_OF', traceID: TRACE.B, spanID: SPAN('B', 4) }],
      startTime: (T0 + 20 * MIN + 25) * 1000,
      duration: 200_000,
      tags: [
        { key: 'http.route', type: 'string', value: '/payments' },
        { key: 'http.response.status_code', type: 'int64', value: 503 },
        { key: 'span.kind', type: 'string', value: 'server' },
        { key: 'otel.scope.name', type: 'string', value: '@opentelemetry/instrumentation-http' },
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'otel.status_description', type: 'string', value: 'card declined' },
        { key: 'error', type: 'bool', value: true },
      ],
      logs: [],
      processID: 'p3',
      warnings: null,
    });
    expect(b.spans[0]?.references).toEqual([]);
  });

  it('maps events to logs, links to FOLLOWS_FROM, and types tag values', async () => {
    const body = await search(`service=payment&${hour}`);
    const a = body.data.find((t) => t.traceID === TRACE.A) as JaegerTrace;
    const payment = a.spans.find((s) => s.spanID === SPAN('A', 5));
    expect(payment?.references).toEqual([
      { refType: 'CHILD_OF', traceID: TRACE.A, spanID: SPAN('A', 4) },
      { refType: 'FOLLOWS_FROM', traceID: TRACE.B, spanID: SPAN('B', 1) },
    ]);
    expect(payment?.logs).toEqual([
      {
        timestamp: (T0 + 10 * MIN + 30) * 1000,
        fields: [
          { key: 'event', type: 'string', value: 'charge' },
          { key: 'amount', type: 'int64', value: 1234 },
        ],
      },
    ]);
    expect(payment?.tags).toEqual(
      expect.arrayContaining([
        { key: 'retry.count', type: 'int64', value: 0 },
        { key: 'ratio', type: 'float64', value: 0.25 },
        { key: 'tags', type: 'string', value: '["x","y"]' },
        { key: 'card.present', type: 'bool', value: true },
        { key: 'otel.status_code', type: 'string', value: 'OK' },
        { key: 'w3c.tracestate', type: 'string', value: 'vendor=1' },
      ]),
    );
    const internal = a.spans.find((s) => s.spanID === SPAN('A', 6));
    expect(internal?.tags.find((t) => t.key === 'span.kind')).toBeUndefined();
  });

  it('filters by operation, tags (JSON and key:value), span duration and time', async () => {
    expect(traceIds(await search(`service=catalog&operation=GET%20/products&${hour}`))).toEqual([
      TRACE.D,
      TRACE.C,
    ]);
    expect(traceIds(await search(`service=order&operation=orders%20publish&${hour}`))).toEqual([TRACE.E]);
    const tags = encodeURIComponent(JSON.stringify({ 'payment.method': 'card' }));
    expect(traceIds(await search(`service=payment&tags=${tags}&${hour}`))).toEqual([TRACE.A]);
    expect(traceIds(await search(`service=payment&tag=error:true&${hour}`))).toEqual([TRACE.B]);
    expect(traceIds(await search(`service=payment&tag=error:false&${hour}`))).toEqual([TRACE.A]);
    expect(traceIds(await search(`service=order&tag=span.kind:producer&${hour}`))).toEqual([TRACE.E]);
    expect(traceIds(await search(`service=catalog&tag=http.response.status_code:500&${hour}`))).toEqual([
      TRACE.D,
    ]);
    expect(traceIds(await search(`service=payment&tag=service.instance.id:payment-1&${hour}`))).toEqual([
      TRACE.B,
      TRACE.A,
    ]);
    // durations apply to the matching span: payment spans are 30 ms (A) and 200 ms (B)
    expect(traceIds(await search(`service=payment&minDuration=100ms&${hour}`))).toEqual([TRACE.B]);
    expect(traceIds(await search(`service=payment&maxDuration=0.05s&${hour}`))).toEqual([TRACE.A]);
    expect(traceIds(await search(`service=payment&minDuration=30ms&maxDuration=200ms&${hour}`))).toEqual([
      TRACE.B,
      TRACE.A,
    ]);
    expect(traceIds(await search(`service=gateway&start=${(T0 - HOUR) * 1000}&end=${US0}`))).toEqual([
      TRACE.F,
    ]);
    expect(traceIds(await search(`service=gateway&${hour}&limit=1`))).toEqual([TRACE.C]);
  });

  it('finds traces by traceID and reports the missing ones', async () => {
    const body = await search(`traceID=${TRACE.C}&traceID=${'9'.repeat(32)}&${hour}`);
    expect(traceIds(body)).toEqual([TRACE.C]);
    expect(body.errors).toEqual([{ msg: 'trace not found', traceID: '9'.repeat(32) }]);
  });

  it('rejects bad parameters in Jaeger’s error envelope', async () => {
    for (const params of [
      hour,
      `service=payment&minDuration=1x`,
      `service=payment&maxDuration=fast`,
      `service=payment&minDuration=1s&maxDuration=1ms`,
      `service=payment&tags=%7Bnope`,
      `service=payment&tags=%5B1%5D`,
      `service=payment&tag=novalue`,
      `service=payment&start=${US1}&end=${US0}`,
      `service=payment&start=soon`,
      `service=payment&limit=-1`,
      `traceID=xyz`,
      // Numbers beyond what a nanosecond timestamp can hold (1e309 is Infinity to JavaScript).
      `service=payment&start=1e309`,
      `service=payment&end=1e309`,
      `service=payment&start=1e300`,
      `service=payment&start=${US0}&end=99999999999999999999`,
      `service=payment&start=-1e309`,
      `service=payment&limit=1e309`,
      // Durations whose nanoseconds are Infinity to JavaScript or beyond a BIGINT.
      `service=payment&minDuration=${'9'.repeat(400)}h`,
      `service=payment&maxDuration=1${'0'.repeat(400)}.5s`,
      `service=payment&minDuration=99999999999999h`,
    ]) {
      const res = await get(`/jaeger/api/traces?${params}`);
      expect(res.status, params).toBe(400);
      expectJaegerError(res, 400);
    }
  });
});

describe('Jaeger trace by id', () => {
  it('returns the trace in a one-element data array', async () => {
    const { status, body } = await get<JaegerTrace[]>(`/jaeger/api/traces/${TRACE.E}`);
    expect(status).toBe(200);
    expect(body.errors).toBeNull();
    expect(body.data).toHaveLength(1);
    const e = body.data[0] as JaegerTrace;
    expect(e.spans.map((s) => [s.operationName, e.processes[s.processID]?.serviceName])).toEqual([
      ['orders publish', 'order'],
      ['orders process', 'notification'],
    ]);
    expect(e.spans[1]?.tags).toEqual([
      { key: 'span.kind', type: 'string', value: 'consumer' },
      { key: 'otel.scope.name', type: 'string', value: '@opentelemetry/instrumentation-http' },
      { key: 'otel.status_code', type: 'string', value: 'OK' },
    ]);
  });

  it('narrows by start/end (µs), falls back when the window misses, and pads short ids', async () => {
    const inside = await get<JaegerTrace[]>(
      `/jaeger/api/traces/${TRACE.A}?start=${(T0 + 10 * MIN) * 1000}&end=${(T0 + 10 * MIN + 25) * 1000}`,
    );
    expect(inside.body.data[0]?.spans).toHaveLength(5);
    // A window that misses the trace (e.g. Grafana sending ms where Jaeger reads µs) falls back to a full lookup.
    const missed = await get<JaegerTrace[]>(`/jaeger/api/traces/${TRACE.A}?start=${T0}&end=${T0 + HOUR}`);
    expect(missed.status).toBe(200);
    expect(missed.body.data[0]?.spans).toHaveLength(6);
    expect(normaliseTraceId('ABC')).toBe(`${'0'.repeat(29)}abc`);
  });

  it('400s a trace window and a dependency window beyond any timestamp', async () => {
    for (const url of [
      `/jaeger/api/traces/${TRACE.A}?start=1e309`,
      `/jaeger/api/traces/${TRACE.A}?end=1e300`,
      '/jaeger/api/dependencies?endTs=1e309',
      '/jaeger/api/dependencies?endTs=1e300',
      '/jaeger/api/dependencies?lookback=1e300',
      '/jaeger/api/dependencies?lookback=1e309',
      '/jaeger/api/dependencies?endTs=-1e309',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(400);
      expectJaegerError(res, 400);
    }
  });

  it('404s a missing trace and 400s a malformed id', async () => {
    expectJaegerError(await get(`/jaeger/api/traces/${'1'.repeat(32)}`), 404);
    expectJaegerError(await get('/jaeger/api/traces/not-hex'), 400);
    expectJaegerError(await get(`/jaeger/api/traces/${'1'.repeat(33)}`), 400);
  });
});

describe('Jaeger dependencies', () => {
  it('counts calls between services over endTs − lookback', async () => {
    const { status, body } = await get<JaegerDependencyLink[]>(
      `/jaeger/api/dependencies?endTs=${T0 + HOUR}&lookback=${HOUR}`,
    );
    expect(status).toBe(200);
    expect(body.data).toEqual([
      { parent: 'gateway', child: 'catalog', callCount: 1 },
      { parent: 'gateway', child: 'order', callCount: 2 },
      { parent: 'order', child: 'notification', callCount: 1 },
      { parent: 'order', child: 'payment', callCount: 2 },
    ]);
    const payment = await get<JaegerDependencyLink[]>(
      `/jaeger/api/dependencies?endTs=${T0 + HOUR}&lookback=${HOUR}&service=payment`,
    );
    expect(payment.body.data).toEqual([{ parent: 'order', child: 'payment', callCount: 2 }]);
    const earlier = await get<JaegerDependencyLink[]>(
      `/jaeger/api/dependencies?endTs=${T0}&lookback=${HOUR}`,
    );
    expect(earlier.body.data).toEqual([]);
    expectJaegerError(await get('/jaeger/api/dependencies?lookback=0'), 400);
    expectJaegerError(await get('/jaeger/api/dependencies?endTs=yesterday'), 400);
  });
});

describe('Jaeger parameter parsing', () => {
  it('parses Go durations', () => {
    expect(parseGoDuration('1.2s')).toBe(1_200_000_000n);
    expect(parseGoDuration('100ms')).toBe(100_000_000n);
    expect(parseGoDuration('1m30s')).toBe(90_000_000_000n);
    expect(parseGoDuration('250us')).toBe(250_000n);
    expect(parseGoDuration('250µs')).toBe(250_000n);
    expect(parseGoDuration('2h')).toBe(7_200_000_000_000n);
    expect(parseGoDuration('.5ms')).toBe(500_000n);
    expect(parseGoDuration('0')).toBe(0n);
    for (const bad of ['', '10', 'ms', '1x', '1s2', '-1s', '1 s'])
      expect(parseGoDuration(bad), bad).toBeUndefined();
  });

  it('merges tag=k:v and tags JSON like Jaeger', () => {
    const tags = parseJaegerTags(['a:b', 'url:http://x:1/'], ['{"c":"d","n":5,"t":true}']);
    expect([...tags]).toEqual([
      ['a', 'b'],
      ['url', 'http://x:1/'],
      ['c', 'd'],
      ['n', '5'],
      ['t', 'true'],
    ]);
  });
});

describe('OTLP envelope → Jaeger', () => {
  const row = (over: Partial<SpanRow>): SpanRow => ({
    trace_id: TRACE.A,
    span_id: SPAN('A', 1),
    parent_span_id: '',
    trace_state: '',
    name: 'op',
    kind: 1,
    service: 'svc',
    start_ns: '1700000000000000000',
    end_ns: '1700000000001000000',
    duration_ns: '1000000',
    status_code: 0,
    status_message: '',
    attributes: '{}',
    resource: '{}',
    scope_name: '',
    events: '[{"name":"e","timeUnixNano":"1700000000000500000","attributes":{}}]',
    links: '[]',
    scope_version: '',
    scope_attributes: '{}',
    scope_schema_url: '',
    resource_schema_url: '',
    flags: 0,
    dropped_attributes_count: 0,
    dropped_events_count: 0,
    dropped_links_count: 0,
    ...over,
  });
  const span = (over: Partial<SpanRow>) => toJaegerTraces([row(over)])[0]!.spans[0]!;

  it('adds no tag, field or flags for what was not dropped or set', () => {
    const s = span({ flags: 0x300 }); // is-remote bits only: no W3C trace flags
    expect(s.tags).toEqual([]);
    expect(s.logs[0]!.fields).toEqual([{ key: 'event', type: 'string', value: 'e' }]);
    expect('flags' in s).toBe(false);
  });

  it('maps the W3C trace flags to Jaeger flags and every dropped count to an int64 tag', () => {
    const s = span({
      flags: 0x301,
      scope_version: '1.0.0',
      dropped_attributes_count: 1,
      dropped_events_count: 2,
      dropped_links_count: 3,
      events: '[{"name":"e","timeUnixNano":"1","attributes":{},"droppedAttributesCount":4}]',
    });
    expect(s.flags).toBe(1);
    expect(s.tags).toEqual([
      { key: 'otel.scope.version', type: 'string', value: '1.0.0' },
      { key: 'otel.dropped_attributes_count', type: 'int64', value: 1 },
      { key: 'otel.dropped_events_count', type: 'int64', value: 2 },
      { key: 'otel.dropped_links_count', type: 'int64', value: 3 },
    ]);
    expect(s.logs[0]!.fields).toContainEqual({
      key: 'otel.dropped_attributes_count',
      type: 'int64',
      value: 4,
    });
  });
});
