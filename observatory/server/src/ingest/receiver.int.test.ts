import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExportResponse, decodeStatus, encodeExportRequest, type SignalPath } from './proto.js';
import { type RunningObservatory, startTestObservatory } from './testing.js';

/**
 * The receivers over real sockets: spec-conformant answers, every kind of bad payload refused
 * cleanly with nothing stored, and back-pressure when the write queue is full.
 */

const PB = 'application/x-protobuf';
const JSON_CT = 'application/json';

interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function post(
  t: RunningObservatory,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
) {
  const res = await fetch(t.httpUrl(path), { method: 'POST', body, headers });
  return {
    status: res.status,
    headers: res.headers,
    body: Buffer.from(await res.arrayBuffer()),
  } satisfies Answer;
}

const hex = (s: string) => Buffer.from(s, 'hex');

function protoSpan(i: number, overrides: Record<string, unknown> = {}) {
  return {
    traceId: hex('0af7651916cd43dd8448eb211c80319c'),
    spanId: hex(`b7ad6b71692033${String(i).padStart(2, '0')}`),
    name: `span-${i}`,
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001000000',
    ...overrides,
  };
}

function traceRequest(service: string, spans: Record<string, unknown>[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 's' }, spans }],
      },
    ],
  };
}

const pbTraces = (service: string, n: number) =>
  encodeExportRequest(
    'traces',
    traceRequest(
      service,
      Array.from({ length: n }, (_, i) => protoSpan(i)),
    ),
  );

/** A valid request whose span name bytes are then made invalid UTF-8 (0xC3 0x28). */
function invalidUtf8Traces(): Buffer {
  const buf = Buffer.from(
    encodeExportRequest('traces', traceRequest('bad', [protoSpan(1, { name: 'NAME-MARKER-QQ' })])),
  );
  const at = buf.indexOf('QQ');
  buf[at] = 0xc3;
  buf[at + 1] = 0x28;
  return buf;
}

function jsonTraces(service: string, spans: Record<string, unknown>[]) {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans }],
      },
    ],
  });
}

const jsonSpan = (i: number, overrides: Record<string, unknown> = {}) => ({
  traceId: '0AF7651916CD43DD8448EB211C80319C',
  spanId: `B7AD6B71692033${String(i).padStart(2, '0')}`,
  name: `span-${i}`,
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: 1700000000001000000,
  ...overrides,
});

function grpcExport(
  port: number,
  signal: SignalPath,
  payload: Uint8Array,
): Promise<{ response?: Buffer; error?: grpc.ServiceError }> {
  const service =
    signal === 'traces'
      ? 'opentelemetry.proto.collector.trace.v1.TraceService'
      : signal === 'logs'
        ? 'opentelemetry.proto.collector.logs.v1.LogsService'
        : 'opentelemetry.proto.collector.metrics.v1.MetricsService';
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/${service}/Export`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(payload),
      new grpc.Metadata(),
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response: response ?? Buffer.alloc(0) });
      },
    );
  });
}

function grpcStatusDetails(error: grpc.ServiceError) {
  const bin = error.metadata.get('grpc-status-details-bin')[0];
  expect(Buffer.isBuffer(bin)).toBe(true);
  return decodeStatus(bin as Buffer);
}

async function spanCount(t: RunningObservatory, service: string): Promise<number> {
  const [r] = await t.rows<{ n: bigint }>('SELECT count(*) AS n FROM spans WHERE service = ?', [service]);
  return Number(r!.n);
}

describe('OTLP receivers: answers and bad payloads', () => {
  let t: RunningObservatory;
  beforeAll(async () => {
    t = await startTestObservatory({ maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('full success: empty Export*ServiceResponse in the request encoding, partial_success unset', async () => {
    const pb = await post(t, '/v1/traces', pbTraces('full-ok', 2), { 'content-type': PB });
    expect(pb.status).toBe(200);
    expect(pb.headers.get('content-type')).toBe(PB);
    expect(decodeExportResponse('traces', pb.body)).toBeNull();
    const js = await post(t, '/v1/traces', jsonTraces('full-ok', [jsonSpan(7)]), { 'content-type': JSON_CT });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(js.body.toString())).toEqual({});
    const gz = await post(t, '/v1/traces', gzipSync(pbTraces('full-ok', 3)), {
      'content-type': `${PB}; charset=binary`,
      'content-encoding': 'gzip',
    });
    expect(gz.status).toBe(200);
    const empty = await post(t, '/v1/logs', new Uint8Array(0), { 'content-type': PB });
    expect(empty.status).toBe(200);
    expect(await spanCount(t, 'full-ok')).toBe(2 + 1 + 3);
  });

  it('partial success: invalid items dropped and counted, in protobuf, JSON and gRPC', async () => {
    const spans = [
      protoSpan(1),
      protoSpan(2, { traceId: Buffer.alloc(0) }),
      protoSpan(3, { spanId: Buffer.alloc(8) }),
    ];
    const pb = await post(t, '/v1/traces', encodeExportRequest('traces', traceRequest('partial', spans)), {
      'content-type': PB,
    });
    expect(pb.status).toBe(200);
    const partial = decodeExportResponse('traces', pb.body);
    expect(partial?.rejected).toBe(2);
    expect(partial?.errorMessage).toMatch(
      /2 spans rejected: span with empty or all-zero traceId \(1\); span with empty or all-zero spanId \(1\)/,
    );

    const js = await post(
      t,
      '/v1/metrics',
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] },
            scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, {}] } }] }],
          },
        ],
      }),
      { 'content-type': JSON_CT },
    );
    expect(js.status).toBe(200);
    expect(JSON.parse(js.body.toString())).toEqual({
      partialSuccess: {
        rejectedDataPoints: '1',
        errorMessage: '1 data points rejected: number data point without value (1)',
      },
    });

    const g = await grpcExport(
      t.ports.otlpGrpcPort,
      'traces',
      encodeExportRequest('traces', traceRequest('partial', spans)),
    );
    expect(g.error).toBeUndefined();
    expect(decodeExportResponse('traces', g.response!)?.rejected).toBe(2);
    expect(await spanCount(t, 'partial')).toBe(2);
  });

  it('refuses every kind of bad payload with a clear 4xx and a google.rpc.Status; stores nothing of it', async () => {
    const svc = 'bad';
    const cases: {
      what: string;
      path?: string;
      body: Uint8Array | string;
      headers: Record<string, string>;
      status: number;
      message: RegExp;
      encoding: 'json' | 'protobuf';
    }[] = [
      {
        what: 'malformed JSON',
        body: '{"resourceSpans":[{"scopeSpans":[{"spans":[',
        headers: { 'content-type': JSON_CT },
        status: 400,
        message: /malformed JSON/,
        encoding: 'json',
      },
      {
        what: 'truncated protobuf',
        body: pbTraces(svc, 3).subarray(0, 60),
        headers: { 'content-type': PB },
        status: 400,
        message: /not a valid protobuf ExportTraceServiceRequest/,
        encoding: 'protobuf',
      },
      {
        what: 'garbage protobuf',
        body: Buffer.from('this is definitely not protobuf at all'),
        headers: { 'content-type': PB },
        status: 400,
        message: /not a valid protobuf/,
        encoding: 'protobuf',
      },
      {
        what: 'invalid UTF-8 in a protobuf string',
        body: invalidUtf8Traces(),
        headers: { 'content-type': PB },
        status: 400,
        message: /not a valid protobuf ExportTraceServiceRequest \(.*not valid for encoding utf-8/i,
        encoding: 'protobuf',
      },
      {
        what: 'wrong content type',
        body: jsonTraces(svc, [jsonSpan(1)]),
        headers: { 'content-type': 'text/plain' },
        status: 415,
        message: /unsupported Content-Type "text\/plain"/,
        encoding: 'json',
      },
      {
        what: 'wrongly typed field, after valid spans (nothing half-stored)',
        body: jsonTraces(svc, [jsonSpan(1), jsonSpan(2), jsonSpan(3, { name: { not: 'a string' } })]),
        headers: { 'content-type': JSON_CT },
        status: 400,
        message: /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[2\]\.name: expected a string, got object/,
        encoding: 'json',
      },
      {
        what: 'bad id length (JSON)',
        body: jsonTraces(svc, [jsonSpan(1), jsonSpan(2, { traceId: 'abcdef' })]),
        headers: { 'content-type': JSON_CT },
        status: 400,
        message: /spans\[1\]\.traceId: must be 16 bytes/,
        encoding: 'json',
      },
      {
        what: 'bad id length (protobuf)',
        body: encodeExportRequest(
          'traces',
          traceRequest(svc, [protoSpan(1), protoSpan(2, { spanId: hex('0102') })]),
        ),
        headers: { 'content-type': PB },
        status: 400,
        message: /spans\[1\]\.spanId: must be 8 bytes/,
        encoding: 'protobuf',
      },
      {
        what: 'oversize body',
        body: Buffer.alloc(100 * 1024, 1),
        headers: { 'content-type': PB },
        status: 413,
        message: /exceeds 65536 bytes/,
        encoding: 'protobuf',
      },
      {
        what: 'gzip bomb',
        body: gzipSync(Buffer.alloc(10 * 1024 * 1024)),
        headers: { 'content-type': PB, 'content-encoding': 'gzip' },
        status: 413,
        message: /decompressed request body exceeds 262144 bytes/,
        encoding: 'protobuf',
      },
      {
        what: 'bad gzip',
        body: Buffer.from('not gzip at all, just bytes'),
        headers: { 'content-type': JSON_CT, 'content-encoding': 'gzip' },
        status: 400,
        message: /not valid gzip data/,
        encoding: 'json',
      },
      {
        what: 'truncated gzip',
        body: gzipSync(pbTraces(svc, 20)).subarray(0, 40),
        headers: { 'content-type': PB, 'content-encoding': 'gzip' },
        status: 400,
        message: /not valid gzip data/,
        encoding: 'protobuf',
      },
      {
        what: 'unsupported content encoding',
        body: pbTraces(svc, 1),
        headers: { 'content-type': PB, 'content-encoding': 'br' },
        status: 415,
        message: /unsupported Content-Encoding "br"/,
        encoding: 'protobuf',
      },
    ];
    const before = t.obs.selfStats.snapshot().ingest.rejectedRequests.spans;
    for (const c of cases) {
      const res = await post(t, c.path ?? '/v1/traces', c.body, c.headers);
      expect(res.status, c.what).toBe(c.status);
      const status =
        c.encoding === 'protobuf'
          ? decodeStatus(res.body)
          : (JSON.parse(res.body.toString()) as { code: number; message: string });
      expect(res.headers.get('content-type'), c.what).toMatch(
        c.encoding === 'protobuf' ? /^application\/x-protobuf/ : /^application\/json/,
      );
      expect(status.message, c.what).toMatch(c.message);
      expect(status.code, c.what).toBeGreaterThan(0);
    }
    expect(t.obs.selfStats.snapshot().ingest.rejectedRequests.spans - before).toBe(cases.length);
    expect(await spanCount(t, svc)).toBe(0);

    // 400s carry a google.rpc.BadRequest naming the field.
    const bad = await post(
      t,
      '/v1/traces',
      encodeExportRequest('traces', traceRequest(svc, [protoSpan(1, { traceId: hex('01') })])),
      {
        'content-type': PB,
      },
    );
    expect(decodeStatus(bad.body).details).toEqual([
      {
        typeUrl: 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [
          {
            field: 'resourceSpans[0].scopeSpans[0].spans[0].traceId',
            description: expect.stringMatching(/must be 16 bytes/),
          },
        ],
      },
    ]);
    // Missing content type and wrong method/path are answered too.
    const noType = await fetch(t.httpUrl('/v1/traces'), { method: 'POST', body: pbTraces(svc, 1) });
    expect(noType.status).toBe(415);
    expect(
      (
        await fetch(t.httpUrl('/v1/nope'), {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': JSON_CT },
        })
      ).status,
    ).toBe(404);

    // Still answering, and a good request is stored.
    const ok = await post(t, '/v1/traces', pbTraces(svc, 2), { 'content-type': PB });
    expect(ok.status).toBe(200);
    expect(await spanCount(t, svc)).toBe(2);
  });

  it('gRPC: bad data is INVALID_ARGUMENT with a BadRequest detail; nothing stored', async () => {
    const truncated = await grpcExport(
      t.ports.otlpGrpcPort,
      'traces',
      pbTraces('grpc-bad', 3).subarray(0, 50),
    );
    expect(truncated.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(truncated.error?.details).toMatch(/not a valid protobuf/);
    const badId = await grpcExport(
      t.ports.otlpGrpcPort,
      'traces',
      encodeExportRequest(
        'traces',
        traceRequest('grpc-bad', [protoSpan(1), protoSpan(2, { traceId: hex('0102') })]),
      ),
    );
    expect(badId.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const details = grpcStatusDetails(badId.error!);
    expect(details.details[0]?.fieldViolations?.[0]?.field).toBe(
      'resourceSpans[0].scopeSpans[0].spans[1].traceId',
    );
    const garbageLogs = await grpcExport(
      t.ports.otlpGrpcPort,
      'logs',
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    );
    expect(garbageLogs.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const tooBig = await grpcExport(t.ports.otlpGrpcPort, 'traces', Buffer.alloc(300 * 1024, 0x0a));
    expect(tooBig.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await spanCount(t, 'grpc-bad')).toBe(0);
    const ok = await grpcExport(t.ports.otlpGrpcPort, 'traces', pbTraces('grpc-bad', 1));
    expect(ok.error).toBeUndefined();
    expect(await spanCount(t, 'grpc-bad')).toBe(1);
  });
});

describe('OTLP/HTTP in-flight limit', () => {
  let t: RunningObservatory;
  beforeAll(async () => {
    t = await startTestObservatory({ maxInFlightRequests: 1 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses requests beyond the in-flight limit with 429 before reading their bodies', async () => {
    const { request } = await import('node:http');
    const body = Buffer.from(pbTraces('inflight', 2));
    // A client that sends half its body and stalls holds the only slot.
    const slow = request(t.httpUrl('/v1/traces'), {
      method: 'POST',
      headers: { 'content-type': PB, 'content-length': String(body.length) },
    });
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      slow.on('error', reject);
    });
    slow.write(body.subarray(0, 10));
    // Wait until the server holds the slow request: an empty export (no spans, nothing stored) is taken while
    // the slot is free and refused once it is not.
    await expect
      .poll(async () => (await post(t, '/v1/traces', Buffer.alloc(0), { 'content-type': PB })).status, {
        timeout: 5_000,
        interval: 10,
      })
      .toBe(429);
    const busy = await post(t, '/v1/traces', pbTraces('inflight', 1), { 'content-type': PB });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(decodeStatus(busy.body).message).toMatch(/too many OTLP requests in flight/);
    slow.end(body.subarray(10));
    expect(await slowAnswer).toBe(200);
    // The slot is free again.
    expect((await post(t, '/v1/traces', pbTraces('inflight', 1), { 'content-type': PB })).status).toBe(200);
    expect(await spanCount(t, 'inflight')).toBe(3);
  });
});

describe('OTLP receivers under overload', () => {
  let t: RunningObservatory;
  beforeAll(async () => {
    // A tiny queue that never flushes by itself: it fills after 5 rows.
    t = await startTestObservatory({ queueMaxRows: 5, flushIntervalMs: 3_600_000, flushRows: 1_000_000 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 + Retry-After (HTTP) and RESOURCE_EXHAUSTED + RetryInfo (gRPC) while the queue is full', async () => {
    expect((await post(t, '/v1/traces', pbTraces('load', 4), { 'content-type': PB })).status).toBe(200);

    // Does not fit (4 + 4 > 5): refused after decoding.
    const http = await post(t, '/v1/traces', pbTraces('load', 4), { 'content-type': PB });
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe('1');
    const st = decodeStatus(http.body);
    expect(st.message).toMatch(/write queue is full/);
    expect(st.details).toEqual([
      { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', retryDelaySeconds: 1 },
    ]);
    const json = await post(t, '/v1/traces', jsonTraces('load', [jsonSpan(1), jsonSpan(2)]), {
      'content-type': JSON_CT,
    });
    expect(json.status).toBe(429);
    expect(JSON.parse(json.body.toString())).toMatchObject({
      code: 8,
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
    });

    const g = await grpcExport(t.ports.otlpGrpcPort, 'traces', pbTraces('load', 2));
    expect(g.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(grpcStatusDetails(g.error!).details).toEqual([
      { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', retryDelaySeconds: 1 },
    ]);

    // Exactly full: refused before the body is even decoded.
    expect((await post(t, '/v1/traces', pbTraces('load', 1), { 'content-type': PB })).status).toBe(200);
    expect(t.obs.queue.depth).toBe(5);
    const early = await post(t, '/v1/logs', 'whatever', { 'content-type': JSON_CT });
    expect(early.status).toBe(429);
    expect((await grpcExport(t.ports.otlpGrpcPort, 'metrics', Buffer.alloc(0))).error?.code).toBe(
      grpc.status.RESOURCE_EXHAUSTED,
    );

    // More rows in one request than the queue can ever hold: 413, not retryable.
    await t.obs.flush();
    const huge = await post(t, '/v1/traces', pbTraces('load', 6), { 'content-type': PB });
    expect(huge.status).toBe(413);
    expect(decodeStatus(huge.body).message).toMatch(/send smaller batches/);

    // Drained: accepted again. Memory stayed bounded by the queue limit throughout.
    expect((await post(t, '/v1/traces', pbTraces('load', 3), { 'content-type': PB })).status).toBe(200);
    expect(await spanCount(t, 'load')).toBe(8);
    const snap = t.obs.selfStats.snapshot();
    expect(snap.ingest.dropped.spans).toBe(4 + 2 + 2);
    expect(snap.ingest.throttledRequests.spans).toBe(3);
    expect(snap.queueLimit.rows).toBe(5);
  });
});
