import { describe, expect, it } from 'vitest';
import { toSearch } from './client.js';
import {
  logRecordSchema,
  metricQueryResponseSchema,
  operationsResponseSchema,
  redResponseSchema,
  selfResponseSchema,
  traceResponseSchema,
} from './schemas.js';

const span = {
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  parentSpanId: '',
  traceState: '',
  name: 'POST /api/v1/orders',
  kind: 'server',
  service: 'gateway',
  startTimeUnixNano: '1767225600123456789',
  endTimeUnixNano: '1767225600223456789',
  startTimeMs: 1767225600123.4568,
  durationMs: 100,
  statusCode: 'error',
  statusMessage: 'HTTP 502',
  attributes: { 'http.route': '/api/v1/orders', 'http.response.status_code': 502 },
  resource: { 'service.name': 'gateway' },
  scopeName: '@opentelemetry/instrumentation-http',
  events: [
    { name: 'exception', timeUnixNano: '1767225600200000000', attributes: { 'exception.type': 'Error' } },
  ],
  links: [],
};

describe('API schemas', () => {
  it('read the envelope fields of a span, defaulting those an older observatory does not send', () => {
    const full = traceResponseSchema.parse({
      traceId: span.traceId,
      spans: [
        {
          ...span,
          scopeVersion: '0.57.0',
          flags: 0x301,
          droppedAttributesCount: 3,
          droppedEventsCount: 4,
          droppedLinksCount: 5,
          events: [{ ...span.events[0], droppedAttributesCount: 6 }],
        },
      ],
    }).spans[0]!;
    expect(full).toMatchObject({
      scopeVersion: '0.57.0',
      flags: 0x301,
      droppedAttributesCount: 3,
      droppedEventsCount: 4,
      droppedLinksCount: 5,
    });
    expect(full.events[0]!.droppedAttributesCount).toBe(6);
    const old = traceResponseSchema.parse({ traceId: span.traceId, spans: [span] }).spans[0]!;
    expect(old).toMatchObject({
      scopeVersion: '',
      flags: 0,
      droppedAttributesCount: 0,
      droppedLinksCount: 0,
    });
  });

  it('parse a trace into typed spans with named kinds and statuses', () => {
    const trace = traceResponseSchema.parse({ traceId: span.traceId, spans: [span] });
    const s = trace.spans[0]!;
    expect(s.kind).toBe('server');
    expect(s.statusCode).toBe('error');
    expect(s.events[0]!.attributes['exception.type']).toBe('Error');
  });

  it('accept OTLP enum numbers and proto names too', () => {
    const numeric = traceResponseSchema.parse({ traceId: 'x', spans: [{ ...span, kind: 3, statusCode: 1 }] });
    expect(numeric.spans[0]!.kind).toBe('client');
    expect(numeric.spans[0]!.statusCode).toBe('ok');
    const ops = operationsResponseSchema.parse({
      operations: [{ name: 'orders process', spanKind: 'SPAN_KIND_CONSUMER' }],
    });
    expect(ops.operations[0]!.spanKind).toBe('consumer');
  });

  it('reject what the console could not show correctly', () => {
    expect(
      traceResponseSchema.safeParse({ traceId: 'x', spans: [{ ...span, kind: 'sideways' }] }).success,
    ).toBe(false);
    expect(
      traceResponseSchema.safeParse({
        traceId: 'x',
        spans: [{ ...span, startTimeUnixNano: 1767225600123456800 }], // a number loses the nanoseconds
      }).success,
    ).toBe(false);
    expect(redResponseSchema.safeParse({ services: [{ service: 'a', requestRate: '3' }] }).success).toBe(
      false,
    );
  });

  it('fill defaults for optional parts of a log record', () => {
    const log = logRecordSchema.parse({
      timeUnixNano: '1767225600000000000',
      timeMs: 1767225600000,
      severityNumber: 9,
      body: 'hello',
      service: 'order',
    });
    expect(log).toMatchObject({ severityText: '', traceId: '', spanId: '', attributes: {}, resource: {} });
  });

  it('keep gaps in series as null', () => {
    const red = redResponseSchema.parse({
      services: [
        {
          service: 'order',
          requestRate: 0.5,
          errorRatio: 0,
          p50Ms: null,
          p95Ms: 12,
          p99Ms: 20,
          series: [{ tMs: 1, requestRate: 0, errorRatio: 0, p95Ms: null }],
        },
      ],
    });
    expect(red.services[0]!.series[0]!.p95Ms).toBeNull();
    const metric = metricQueryResponseSchema.parse({
      name: 'm',
      fn: 'rate',
      stepMs: 60_000,
      series: [
        {
          labels: {},
          points: [
            [1, null],
            [2, 0.5],
          ],
        },
      ],
    });
    expect(metric.series[0]!.points).toEqual([
      [1, null],
      [2, 0.5],
    ]);
  });

  it('read /api/self with and without ingest statistics', () => {
    const bare = selfResponseSchema.parse({
      ingest: null,
      queueDepth: null,
      storeBytes: null,
      queryLatencyMs: { p50: 1.2, p95: null, samples: 3 },
    });
    expect(bare.ingest).toBeNull();
    const full = selfResponseSchema.parse({
      ingest: {
        spansPerSec: 10,
        logsPerSec: 2,
        metricPointsPerSec: 1,
        accepted: { spans: 100, logs: 20, metricPoints: 5 },
        rejected: { spans: 0, logs: 0, metricPoints: 0 },
        dropped: { spans: 1, logs: 0, metricPoints: 0 },
      },
      queueDepth: 3,
      storeBytes: 1024,
      storeMaxBytes: 4096,
      queryLatencyMs: { p50: 1, p95: 2 },
    });
    expect(full.ingest?.dropped.spans).toBe(1);
    expect(full.storeMaxBytes).toBe(4096);
  });
});

describe('toSearch', () => {
  it('leaves out empty values and repeats arrays', () => {
    expect(toSearch({ service: 'order', operation: '', attr: ['a=1', 'b=2'], limit: 20, q: undefined })).toBe(
      '?service=order&attr=a%3D1&attr=b%3D2&limit=20',
    );
    expect(toSearch({})).toBe('');
  });
});
