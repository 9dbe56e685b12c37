import {
  type Attributes,
  context,
  createTraceState,
  SeverityNumber,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hrToNs, type RunningObservatory, startTestObservatory } from './testing.js';

/**
 * The real OpenTelemetry JS exporters (protobuf over HTTP, JSON over HTTP, gRPC) send traces,
 * metrics and logs to a running observatory; reading the store back must give exactly what the
 * SDK exported.
 */

let t: RunningObservatory;
const contentEncodings: string[] = [];

beforeAll(async () => {
  t = await startTestObservatory({}, ({ otlpHttpApp }) => {
    otlpHttpApp.addHook('onRequest', async (req) => {
      contentEncodings.push(
        `${req.url} ${req.headers['content-type']} ${req.headers['content-encoding'] ?? ''}`,
      );
    });
  });
});
afterAll(async () => {
  await t.close();
});

type Transport = 'proto' | 'json' | 'grpc';
const TRANSPORTS: Transport[] = ['proto', 'json', 'grpc'];

interface Exporter<T> {
  export(items: T, done: (r: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
}

async function send<T>(exporter: Exporter<T>, items: T): Promise<void> {
  const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
    exporter.export(items, resolve),
  );
  await exporter.shutdown();
  expect(result.error).toBeUndefined();
  expect(result.code).toBe(0); // ExportResultCode.SUCCESS
}

type Compression = NonNullable<
  NonNullable<ConstructorParameters<typeof ProtoTraceExporter>[0]>['compression']
>;

// The protobuf and gRPC exporters compress (gzip) to exercise decompression with real clients.
const httpOptions = (transport: Transport, path: string) => ({
  url: transport === 'grpc' ? `http://127.0.0.1:${t.ports.otlpGrpcPort}` : t.httpUrl(path),
  ...(transport === 'json' ? {} : { compression: 'gzip' as Compression }),
});

function traceExporter(transport: Transport) {
  const o = httpOptions(transport, '/v1/traces');
  return transport === 'proto'
    ? new ProtoTraceExporter(o)
    : transport === 'json'
      ? new JsonTraceExporter(o)
      : new GrpcTraceExporter(o);
}

function metricExporter(transport: Transport) {
  const o = httpOptions(transport, '/v1/metrics');
  return transport === 'proto'
    ? new ProtoMetricExporter(o)
    : transport === 'json'
      ? new JsonMetricExporter(o)
      : new GrpcMetricExporter(o);
}

function logExporter(transport: Transport) {
  const o = httpOptions(transport, '/v1/logs');
  return transport === 'proto'
    ? new ProtoLogExporter(o)
    : transport === 'json'
      ? new JsonLogExporter(o)
      : new GrpcLogExporter(o);
}

const json = (s: unknown) => JSON.parse(s as string);

describe.each(TRANSPORTS)('OTLP %s exporters', (transport) => {
  const service = `svc-${transport}`;
  const resource = resourceFromAttributes({
    'service.name': service,
    'service.version': '1.4.2',
    'host.cpu.count': 2,
    'deployment.environment.name': 'test',
  });

  it('traces: ids, kinds, times, attributes, events, links and status arrive exactly', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    });
    const tracer = provider.getTracer('glassbox-test-scope', '0.1.0');
    const base = 1_700_000_000;

    const root = tracer.startSpan('GET /api/orders/:id', {
      kind: SpanKind.SERVER,
      startTime: [base, 123_456_789],
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/orders/:id',
        'http.response.status_code': 200,
        'glassbox.ratio': 0.25,
        'glassbox.cached': false,
        'glassbox.tags': ['a', 'b'],
        'glassbox.sizes': [1, 2, 3],
        'glassbox.big': 9_007_199_254_740_991,
      },
    });
    root.addEvent('cache.miss', { 'cache.key': 'order:42', attempt: 2 }, [base, 150_000_000]);
    root.addEvent('no.attributes', [base, 160_000_001]);
    const linked = {
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      traceFlags: 1,
      traceState: createTraceState('vendor=x,other=y'),
    };
    const child = tracer.startSpan(
      'SELECT orders',
      {
        kind: SpanKind.CLIENT,
        startTime: [base, 200_000_000],
        links: [
          { context: linked, attributes: { 'link.reason': 'batch' } },
          { context: { ...linked, traceState: undefined, spanId: 'ef'.repeat(8) } },
        ],
        attributes: { 'db.system.name': 'postgresql' },
      },
      trace.setSpan(context.active(), root),
    );
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
    child.end([base + 1, 5]);
    const consumer = tracer.startSpan('orders.created process', {
      kind: SpanKind.CONSUMER,
      startTime: [base, 300_000_000],
    });
    consumer.setStatus({ code: SpanStatusCode.OK });
    consumer.end([base, 300_000_000]);
    root.end([base + 2, 0]);

    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(3);
    await send(traceExporter(transport), spans);

    const rows = await t.rows<Record<string, unknown>>(
      'SELECT * FROM spans WHERE service = ? ORDER BY start_ns',
      [service],
    );
    expect(rows).toHaveLength(3);
    for (const span of spans) {
      const ctx = span.spanContext();
      const row = rows.find((r) => r.span_id === ctx.spanId);
      expect(row, span.name).toBeDefined();
      const startNs = hrToNs(span.startTime);
      const endNs = hrToNs(span.endTime);
      expect(row).toMatchObject({
        trace_id: ctx.traceId,
        span_id: ctx.spanId,
        parent_span_id: span.parentSpanContext?.spanId ?? '',
        trace_state: '',
        name: span.name,
        kind: span.kind + 1, // API enum starts at INTERNAL = 0, OTLP at UNSPECIFIED = 0
        service,
        start_ns: startNs,
        end_ns: endNs,
        duration_ns: endNs - startNs,
        status_code: span.status.code,
        status_message: span.status.message ?? '',
        scope_name: 'glassbox-test-scope',
      });
      expect(json(row!.attributes)).toEqual(span.attributes);
      expect(json(row!.resource)).toEqual(span.resource.attributes);
      expect(json(row!.events)).toEqual(
        span.events.map((e) => ({
          name: e.name,
          timeUnixNano: hrToNs(e.time).toString(),
          attributes: e.attributes ?? {},
        })),
      );
      // The SDK sets flags bit 8 ("has is_remote") besides the W3C trace flags in bits 0–7.
      expect(json(row!.links)).toEqual(
        span.links.map((l) => ({
          traceId: l.context.traceId,
          spanId: l.context.spanId,
          traceState: l.context.traceState?.serialize() ?? '',
          attributes: l.attributes ?? {},
          flags: 0x100 | l.context.traceFlags | (l.context.isRemote ? 0x200 : 0),
        })),
      );
      expect(Number(row!.flags) & 0xff).toBe(ctx.traceFlags);
      expect(Number(row!.flags) & 0x100).toBe(0x100);
      expect(row!.scope_version).toBe(span.instrumentationScope.version ?? '');
      expect(row!.scope_schema_url).toBe(span.instrumentationScope.schemaUrl ?? '');
    }
    // Spot-check the fixture really covers what it claims.
    const byName = (n: string) => rows.find((r) => r.name === n)!;
    expect(byName('GET /api/orders/:id').start_ns).toBe(1_700_000_000_123_456_789n);
    expect(byName('SELECT orders')).toMatchObject({
      kind: 3,
      status_code: 2,
      status_message: 'deadlock detected',
    });
    expect(json(byName('SELECT orders').links)[0].traceState).toBe('vendor=x,other=y');
    expect(byName('orders.created process')).toMatchObject({
      kind: 5,
      status_code: 1,
      duration_ns: 0n,
      parent_span_id: '',
    });
    await provider.shutdown();
  });

  it('metrics: sums, gauges, histograms and exponential histograms arrive exactly', async () => {
    class CollectingReader extends MetricReader {
      protected override async onShutdown(): Promise<void> {}
      protected override async onForceFlush(): Promise<void> {}
    }
    const reader = new CollectingReader();
    const provider = new MeterProvider({
      resource,
      readers: [reader],
      views: [
        {
          instrumentName: 'glassbox.payload.size',
          aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
        },
      ],
    });
    const meter = provider.getMeter('glassbox-test-meter', '0.2.0');
    const counter = meter.createCounter('http.server.requests', {
      unit: '{request}',
      description: 'requests served',
    });
    counter.add(5, { 'http.route': '/a', 'http.response.status_code': 200 });
    counter.add(3, { 'http.route': '/b', 'http.response.status_code': 500 });
    const upDown = meter.createUpDownCounter('db.client.connections.usage');
    upDown.add(4, { state: 'used' });
    upDown.add(-1.5, { state: 'used' });
    const gauge = meter.createGauge('process.memory.heap', { unit: 'By' });
    gauge.record(42.5, { pool: 'main' });
    const histogram = meter.createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
    });
    for (const v of [0.05, 0.3, 0.31, 2]) histogram.record(v, { 'http.route': '/a' });
    const expHistogram = meter.createHistogram('glassbox.payload.size', { unit: 'By' });
    for (const v of [1, 2, 4, 100, 0]) expHistogram.record(v);

    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    await send<ResourceMetrics>(metricExporter(transport), resourceMetrics);

    const rows = await t.rows<Record<string, unknown>>('SELECT * FROM metric_points WHERE service = ?', [
      service,
    ]);
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const expectedPoints = metrics.reduce((n, m) => n + m.dataPoints.length, 0);
    expect(expectedPoints).toBe(6);
    expect(rows).toHaveLength(expectedPoints);
    for (const m of metrics) {
      for (const dp of m.dataPoints) {
        const attrs: Attributes = dp.attributes;
        const row = rows.find(
          (r) => r.name === m.descriptor.name && JSON.stringify(json(r.attributes)) === JSON.stringify(attrs),
        );
        expect(row, `${m.descriptor.name} ${JSON.stringify(attrs)}`).toBeDefined();
        expect(row).toMatchObject({
          description: m.descriptor.description,
          unit: m.descriptor.unit,
          scope_name: 'glassbox-test-meter',
          scope_version: '0.2.0',
          start_ns: hrToNs(dp.startTime),
          time_ns: hrToNs(dp.endTime),
        });
        expect(json(row!.resource)).toEqual(resource.attributes);
        switch (m.dataPointType) {
          case DataPointType.SUM:
            expect(row).toMatchObject({
              type: 'sum',
              value: dp.value,
              is_monotonic: m.isMonotonic,
              temporality: m.aggregationTemporality + 1, // SDK: DELTA 0, CUMULATIVE 1; OTLP: 1, 2
            });
            break;
          case DataPointType.GAUGE:
            expect(row).toMatchObject({ type: 'gauge', value: dp.value, temporality: 0, is_monotonic: null });
            break;
          case DataPointType.HISTOGRAM: {
            const h = m.dataPoints.find((p) => p === dp)!.value;
            expect(row).toMatchObject({
              type: 'histogram',
              temporality: m.aggregationTemporality + 1,
              count: BigInt(h.count),
              sum: h.sum,
              min: h.min,
              max: h.max,
              bounds: h.buckets.boundaries,
              bucket_counts: h.buckets.counts.map(BigInt),
              value: null,
            });
            break;
          }
          case DataPointType.EXPONENTIAL_HISTOGRAM: {
            const e = m.dataPoints.find((p) => p === dp)!.value;
            expect(row).toMatchObject({
              type: 'exp_histogram',
              temporality: m.aggregationTemporality + 1,
              count: BigInt(e.count),
              sum: e.sum,
              min: e.min,
              max: e.max,
              exp_scale: e.scale,
              exp_zero_count: BigInt(e.zeroCount),
              exp_pos_offset: e.positive.offset,
              exp_pos_counts: e.positive.bucketCounts.map(BigInt),
              exp_neg_offset: e.negative.offset,
              exp_neg_counts: e.negative.bucketCounts.map(BigInt),
            });
            break;
          }
        }
      }
    }
    // The fixture's known numbers.
    const find = (name: string, route?: string) =>
      rows.find(
        (r) => r.name === name && (route === undefined || json(r.attributes)['http.route'] === route),
      )!;
    expect(find('http.server.requests', '/b')).toMatchObject({
      value: 3,
      temporality: 2,
      is_monotonic: true,
    });
    expect(find('db.client.connections.usage')).toMatchObject({ value: 2.5, is_monotonic: false });
    expect(find('http.server.request.duration')).toMatchObject({
      count: 4n,
      bounds: [0.1, 0.5, 1],
      bucket_counts: [1n, 2n, 0n, 1n],
      min: 0.05,
      max: 2,
    });
    expect(find('glassbox.payload.size')).toMatchObject({ count: 5n, exp_zero_count: 1n, sum: 107 });
    await provider.shutdown();
  });

  it('logs: times, severity, bodies (string and structured), trace context and attributes arrive exactly', async () => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    const logger = provider.getLogger('glassbox-test-logger', '0.3.0');
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    logger.emit({
      timestamp: [1_700_000_100, 1],
      observedTimestamp: [1_700_000_100, 2],
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment declined',
      attributes: { 'order.id': 'o-1', amount: 12.5, retries: 3, flags: ['x', 'y'] },
      eventName: 'payment.declined',
      context: trace.setSpanContext(context.active(), spanContext),
    });
    logger.emit({
      timestamp: [1_700_000_101, 0],
      severityNumber: SeverityNumber.INFO2,
      body: { message: 'structured', nested: { list: [1, 'two', true], n: -7 } },
    });
    const records = memory.getFinishedLogRecords();
    expect(records).toHaveLength(2);
    await send(logExporter(transport), records);

    const rows = await t.rows<Record<string, unknown>>(
      'SELECT * FROM logs WHERE service = ? ORDER BY time_ns',
      [service],
    );
    expect(rows).toHaveLength(2);
    records.forEach((r, i) => {
      const row = rows[i]!;
      expect(row).toMatchObject({
        time_ns: hrToNs(r.hrTime),
        observed_ns: hrToNs(r.hrTimeObserved),
        severity_number: r.severityNumber,
        severity_text: r.severityText ?? '',
        service,
        trace_id: r.spanContext?.traceId ?? '',
        span_id: r.spanContext?.spanId ?? '',
        scope_name: 'glassbox-test-logger',
        scope_version: '0.3.0',
        event_name: r.eventName ?? '',
      });
      if (typeof r.body === 'string') expect(row.body).toBe(r.body);
      else expect(json(row.body)).toEqual(r.body);
      expect(json(row.attributes)).toEqual(r.attributes);
      expect(json(row.resource)).toEqual(r.resource.attributes);
    });
    expect(rows[0]).toMatchObject({
      time_ns: 1_700_000_100_000_000_001n,
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      severity_number: 17,
      body: 'payment declined',
      event_name: 'payment.declined',
    });
    expect(rows[1]).toMatchObject({ severity_number: 10, trace_id: '', span_id: '' });
    await provider.shutdown();
  });
});

describe('what went over the wire', () => {
  it('used protobuf+gzip and JSON on HTTP, and counted every item as accepted', () => {
    for (const signal of ['traces', 'metrics', 'logs']) {
      expect(contentEncodings).toContain(`/v1/${signal} application/x-protobuf gzip`);
      expect(contentEncodings).toContain(`/v1/${signal} application/json `);
    }
    const snap = t.obs.selfStats.snapshot();
    expect(snap.ingest.accepted).toEqual({ spans: 9, logs: 6, metricPoints: 18 });
    expect(snap.ingest.rejected).toEqual({ spans: 0, logs: 0, metricPoints: 0 });
    expect(snap.ingest.spansPerSec).toBeGreaterThan(0);
  });
});
