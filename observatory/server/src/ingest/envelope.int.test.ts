import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerResponse, JaegerTrace } from '../query/jaeger-model.js';
import type { LogRecord, MetricPointRecord, TraceDetail } from '../query/types.js';
import { encodeExportRequest, type SignalPath } from './proto.js';
import { type RunningObservatory, startTestObservatory } from './testing.js';

/**
 * Everything OTLP sends about an item beyond its own fields — the instrumentation scope's version and
 * attributes, the resource's and the scope's schema_url, flags, dropped counts, a log's event_name — is
 * stored and returned by the query API and, where Jaeger's model has a place for it, the Jaeger API. Once
 * per ingest path: OTLP/HTTP with JSON, OTLP/HTTP with protobuf, OTLP/gRPC.
 */

type Path = 'http/json' | 'http/protobuf' | 'grpc';
const PATHS: readonly Path[] = ['http/json', 'http/protobuf', 'grpc'];

const RESOURCE_SCHEMA = 'https://opentelemetry.io/schemas/1.27.0';
const SCOPE_SCHEMA = 'https://opentelemetry.io/schemas/1.26.0';
const SCOPE = { name: 'glassbox-envelope-test', version: '4.5.6' };
const SPAN_FLAGS = 0x301; // sampled + "has is_remote" + "is_remote"
const LINK_FLAGS = 0x101;

const nowNs = BigInt(Date.now()) * 1_000_000n;
const ns = (offsetMs: number) => (nowNs + BigInt(offsetMs) * 1_000_000n).toString();

/** Ids per path (distinct, so the three runs never see each other's rows); `id` formats them. */
function ids(path: Path) {
  const n = PATHS.indexOf(path) + 1;
  return {
    traceId: `${n}af7651916cd43dd8448eb211c80319c`.slice(0, 32),
    spanId: `${n}7ad6b7169203331`,
    linkTraceId: `${n}bf92f3577b34da6a3ce929d0e0e4736`,
    linkSpanId: `${n}0f067aa0ba902b7`,
    service: `envelope-${path.replace('/', '-')}`,
  };
}

/** An export request of `signal` with every envelope field set; ids as hex text (JSON) or bytes (protobuf). */
function request(signal: SignalPath, path: Path): Record<string, unknown> {
  const id = ids(path);
  const bytes = path !== 'http/json';
  const idValue = (hex: string) => (bytes ? Buffer.from(hex, 'hex') : hex);
  const resource = {
    attributes: [{ key: 'service.name', value: { stringValue: id.service } }],
  };
  const itemsOf: Record<SignalPath, string> = { traces: 'spans', logs: 'logRecords', metrics: 'metrics' };
  const scope = { ...SCOPE, attributes: [{ key: 'scope.attr', value: { stringValue: path } }] };
  const scoped = (key: string, items: Record<string, unknown>[]) => ({
    [`resource${key}`]: [
      {
        resource,
        schemaUrl: RESOURCE_SCHEMA,
        [`scope${key}`]: [{ scope, schemaUrl: SCOPE_SCHEMA, [itemsOf[signal]]: items }],
      },
    ],
  });
  if (signal === 'traces') {
    return scoped('Spans', [
      {
        traceId: idValue(id.traceId),
        spanId: idValue(id.spanId),
        traceState: 'vendor=1',
        name: 'GET /envelope',
        kind: 2,
        startTimeUnixNano: ns(-1000),
        endTimeUnixNano: ns(-990),
        attributes: [{ key: 'http.route', value: { stringValue: '/envelope' } }],
        droppedAttributesCount: 3,
        events: [
          {
            timeUnixNano: ns(-995),
            name: 'retry',
            attributes: [{ key: 'attempt', value: { intValue: 2 } }],
            droppedAttributesCount: 6,
          },
        ],
        droppedEventsCount: 4,
        links: [
          {
            traceId: idValue(id.linkTraceId),
            spanId: idValue(id.linkSpanId),
            traceState: 'linked=1',
            droppedAttributesCount: 7,
            flags: LINK_FLAGS,
          },
        ],
        droppedLinksCount: 5,
        flags: SPAN_FLAGS,
      },
    ]);
  }
  if (signal === 'logs') {
    return scoped('Logs', [
      {
        timeUnixNano: ns(-500),
        observedTimeUnixNano: ns(-499),
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: 'order placed' },
        attributes: [{ key: 'order.id', value: { stringValue: 'o-1' } }],
        droppedAttributesCount: 8,
        flags: 1,
        traceId: idValue(id.traceId),
        spanId: idValue(id.spanId),
        eventName: 'order.placed',
      },
    ]);
  }
  return scoped('Metrics', [
    {
      name: 'envelope.test.count',
      unit: '1',
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        // flags bit 0: no recorded value (a staleness marker), so the point has no value.
        dataPoints: [{ startTimeUnixNano: ns(-60_000), timeUnixNano: ns(-100), flags: 1 }],
      },
    },
  ]);
}

const GRPC_SERVICE: Record<SignalPath, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
};

function grpcExport(port: number, signal: SignalPath, payload: Uint8Array): Promise<void> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${GRPC_SERVICE[signal]}/Export`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(payload),
      new grpc.Metadata(),
      (error) => {
        client.close();
        if (error) reject(error);
        else resolve();
      },
    );
  });
}

async function send(t: RunningObservatory, path: Path, signal: SignalPath): Promise<void> {
  const body = request(signal, path);
  if (path === 'grpc') return grpcExport(t.ports.otlpGrpcPort, signal, encodeExportRequest(signal, body));
  const json = path === 'http/json';
  const res = await fetch(t.httpUrl(`/v1/${signal}`), {
    method: 'POST',
    body: json ? JSON.stringify(body) : encodeExportRequest(signal, body),
    headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf' },
  });
  expect(res.status, `${path} ${signal}: ${await res.text()}`).toBe(200);
}

let t: RunningObservatory;
beforeAll(async () => {
  t = await startTestObservatory();
});
afterAll(async () => {
  await t?.close();
});

async function get<T>(path: string): Promise<T> {
  await t.obs.flush();
  const res = await fetch(`http://127.0.0.1:${t.ports.port}${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

const ENVELOPE = (path: Path) => ({
  scopeName: SCOPE.name,
  scopeVersion: SCOPE.version,
  scopeAttributes: { 'scope.attr': path },
  scopeSchemaUrl: SCOPE_SCHEMA,
  resourceSchemaUrl: RESOURCE_SCHEMA,
});

describe.each(PATHS)('the whole OTLP envelope over %s', (path) => {
  const id = ids(path);
  const range = `start=${Date.now() - 600_000}&end=${Date.now() + 600_000}`;

  beforeAll(async () => {
    for (const signal of ['traces', 'logs', 'metrics'] as const) await send(t, path, signal);
  });

  it('a span comes back whole from the query API', async () => {
    const { spans } = await get<TraceDetail>(`/api/traces/${id.traceId}`);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      ...ENVELOPE(path),
      traceState: 'vendor=1',
      flags: SPAN_FLAGS,
      droppedAttributesCount: 3,
      droppedEventsCount: 4,
      droppedLinksCount: 5,
      events: [{ name: 'retry', attributes: { attempt: 2 }, droppedAttributesCount: 6 }],
      links: [
        {
          traceId: id.linkTraceId,
          spanId: id.linkSpanId,
          traceState: 'linked=1',
          attributes: {},
          droppedAttributesCount: 7,
          flags: LINK_FLAGS,
        },
      ],
    });
  });

  it('the Jaeger API maps it as Jaeger does: scope and dropped counts as tags, trace flags as flags', async () => {
    const { data } = await get<JaegerResponse<JaegerTrace[]>>(`/jaeger/api/traces/${id.traceId}`);
    const span = data[0]!.spans[0]!;
    const tags = Object.fromEntries(span.tags.map((tag) => [tag.key, tag.value]));
    expect(tags).toMatchObject({
      'otel.scope.name': SCOPE.name,
      'otel.scope.version': SCOPE.version,
      'w3c.tracestate': 'vendor=1',
      'otel.dropped_attributes_count': 3,
      'otel.dropped_events_count': 4,
      'otel.dropped_links_count': 5,
    });
    expect(span.tags.find((tag) => tag.key === 'otel.dropped_links_count')?.type).toBe('int64');
    // Jaeger's flags are the W3C trace flags (1 = sampled); OTLP's is-remote bits have no place there.
    expect(span.flags).toBe(SPAN_FLAGS & 0xff);
    const fields = Object.fromEntries(span.logs[0]!.fields.map((f) => [f.key, f.value]));
    expect(fields).toEqual({ event: 'retry', attempt: 2, 'otel.dropped_attributes_count': 6 });
    // A search by the scope tags finds the trace (they match the scope columns, not attributes).
    const scopeTags = encodeURIComponent(JSON.stringify({ 'otel.scope.version': SCOPE.version }));
    const found = await get<JaegerResponse<JaegerTrace[]>>(
      `/jaeger/api/traces?service=${id.service}&tags=${scopeTags}&tag=otel.scope.name:${SCOPE.name}`,
    );
    expect(found.data.map((trace) => trace.traceID)).toEqual([id.traceId]);
    expect(span.references).toContainEqual({
      refType: 'FOLLOWS_FROM',
      traceID: id.linkTraceId,
      spanID: id.linkSpanId,
    });
  });

  it('a log record comes back whole from the query API', async () => {
    const { logs } = await get<{ logs: LogRecord[] }>(`/api/logs?service=${id.service}&${range}`);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      ...ENVELOPE(path),
      body: 'order placed',
      eventName: 'order.placed',
      flags: 1,
      droppedAttributesCount: 8,
      traceId: id.traceId,
      spanId: id.spanId,
    });
  });

  it('a metric point comes back whole from the query API', async () => {
    const { points } = await get<{ points: MetricPointRecord[] }>(
      `/api/metrics/points?name=envelope.test.count&service=${id.service}&${range}`,
    );
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      ...ENVELOPE(path),
      name: 'envelope.test.count',
      type: 'sum',
      unit: '1',
      temporality: 2,
      isMonotonic: true,
      value: null,
      flags: 1,
      timeUnixNano: ns(-100),
    });
  });
});
