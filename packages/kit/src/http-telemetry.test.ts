/**
 * The kit's HTTP telemetry (http-telemetry.ts) on a real listening service app and the kit's client: server
 * spans continued from `traceparent` and named after the route, their context kept through a body that
 * arrives in pieces, client spans propagated to the callee, both request durations with the stable
 * conventions' attributes, nothing for probes or for requests outside the kit's client.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServiceApp, nameServerSpan, type ServiceApp } from './app.js';
import { createHttpClient } from './http-client.js';
import { startHttpTelemetry, stopHttpTelemetry } from './http-telemetry.js';
import { createLogger } from './logger.js';
import { captureTelemetry } from './testing/telemetry.js';

const telemetry = captureTelemetry();
startHttpTelemetry();
const tracer = trace.getTracer('test');
/** The active span in the onResponse hook, by URL. */
const inOnResponse = new Map<string, string | undefined>();
let app: ServiceApp;
let baseUrl: string;

beforeAll(async () => {
  app = await createServiceApp({ name: 'unit', logger: createLogger('unit', 'silent') });
  app.get('/orders/:id', async (request) => {
    tracer.startSpan('work').end();
    return { id: (request.params as { id: string }).id };
  });
  app.post('/orders', async (request) => {
    tracer.startSpan('after the body').end();
    return { got: request.body };
  });
  app.addHook('onResponse', async (request) => {
    // Where the kit writes the request's log line (its trace id from the active span).
    inOnResponse.set(request.url, trace.getActiveSpan()?.spanContext().spanId);
  });
  app.get('/boom', async () => {
    throw new Error('kaput');
  });
  app.get('/proxy/*', async (request) => {
    nameServerSpan(request.method, '/orders/:id', request);
    return {};
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  stopHttpTelemetry();
  await telemetry.shutdown();
});
beforeEach(() => telemetry.reset());

/** A plain node:http request (not the kit's client): its status, headers and body. */
function plain(
  path: string,
  options: { method?: string; headers?: Record<string, string>; chunks?: string[] } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    const chunks = options.chunks ?? [];
    // The body in pieces, apart in time: the handler runs from the request's last 'data'/'end' event.
    const next = (i: number) => {
      if (i >= chunks.length) return void req.end();
      req.write(chunks[i]);
      setTimeout(() => next(i + 1), 30);
    };
    next(0);
  });
}

/** Spans are ended when the response closes: wait for the server span of the last request. */
async function serverSpans(count = 1) {
  for (let i = 0; i < 100; i++) {
    const found = telemetry.spans().filter((s) => s.kind === SpanKind.SERVER);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return telemetry.spans().filter((s) => s.kind === SpanKind.SERVER);
}

async function durationPoints(name: string) {
  return (await telemetry.points(name)) as DataPoint<Histogram>[];
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('server spans', () => {
  it("continue the caller's trace, are named after the route and answer traceresponse", async () => {
    const res = await plain('/orders/o-1', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    expect(res.status).toBe(200);
    const [server] = await serverSpans();
    expect(server?.name).toBe('GET /orders/:id');
    expect(server?.spanContext().traceId).toBe(TRACE);
    expect(server?.parentSpanContext?.spanId).toBe(PARENT);
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/orders/o-1',
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(baseUrl).port),
      'client.address': '127.0.0.1',
      'network.protocol.version': '1.1',
    });
    expect(res.headers.traceresponse).toBe(`00-${TRACE}-${server?.spanContext().spanId}-01`);
    // The handler's own span is the server span's child.
    const work = telemetry.spans().find((s) => s.name === 'work');
    expect(work?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    const points = await durationPoints('http.server.request.duration');
    expect(points.map((p) => [p.attributes, p.value.count])).toEqual([
      [
        {
          'http.request.method': 'GET',
          'url.scheme': 'http',
          'http.route': '/orders/:id',
          'http.response.status_code': 200,
          'network.protocol.version': '1.1',
        },
        1,
      ],
    ]);
  });

  it('are active in the onResponse hooks, where the request is logged', async () => {
    await plain('/orders/o-3');
    const [server] = await serverSpans();
    expect(inOnResponse.get('/orders/o-3')).toBe(server?.spanContext().spanId);
  });

  it('keep their context through a body that arrives in pieces', async () => {
    const res = await plain('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: ['{"sku":', '"A-1"}'],
    });
    expect(JSON.parse(res.body)).toEqual({ got: { sku: 'A-1' } });
    const [server] = await serverSpans();
    const after = telemetry.spans().find((s) => s.name === 'after the body');
    expect(after?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(after?.spanContext().traceId).toBe(server?.spanContext().traceId);
  });

  it('mark a 5xx answer as an error, on the span and the metric', async () => {
    await plain('/boom');
    const [server] = await serverSpans();
    expect(server?.status.code).toBe(SpanStatusCode.ERROR);
    expect(server?.attributes['error.type']).toBe('500');
    const points = await durationPoints('http.server.request.duration');
    const boom = points.find((p) => p.attributes['http.route'] === '/boom');
    expect(boom?.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
  });

  it('take the template a handler resolved', async () => {
    await plain('/proxy/orders/o-9');
    const [server] = await serverSpans();
    expect(server?.name).toBe('GET /orders/:id');
    expect(server?.attributes['http.route']).toBe('/orders/:id');
  });

  it('are not made, nor measured, for probes and the metrics scrape', async () => {
    const before = (await durationPoints('http.server.request.duration')).reduce(
      (n, p) => n + p.value.count,
      0,
    );
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await plain(path)).status).toBe(200);
    expect(telemetry.spans()).toEqual([]);
    const after = (await durationPoints('http.server.request.duration')).reduce(
      (n, p) => n + p.value.count,
      0,
    );
    expect(after).toBe(before);
  });

  it('are not made by an app created while HTTP telemetry is off', async () => {
    stopHttpTelemetry();
    const quiet = await createServiceApp({ name: 'quiet', logger: createLogger('quiet', 'silent') });
    startHttpTelemetry();
    quiet.get('/x', async () => ({}));
    await quiet.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (quiet.server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/x`);
      expect(res.status).toBe(200);
      expect(res.headers.get('traceresponse')).toBeNull();
      expect(telemetry.spans().filter((s) => s.kind === SpanKind.SERVER)).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe("the kit's client", () => {
  it("makes a client span, propagated as the server span's parent, and records both durations", async () => {
    const client = createHttpClient({ name: 'dep', baseUrl });
    await tracer.startActiveSpan('caller', async (span) => {
      await client.json({ path: '/orders/o-2?x=1' });
      span.end();
    });
    const [server] = await serverSpans();
    const caller = telemetry.spans().find((s) => s.name === 'caller');
    const clientSpan = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(caller?.spanContext().spanId);
    expect(server?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(server?.spanContext().traceId).toBe(caller?.spanContext().traceId);
    expect(clientSpan?.name).toBe('GET');
    expect(clientSpan?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'url.full': `${baseUrl}/orders/o-2?x=1`,
      'http.response.status_code': 200,
    });
    const points = await durationPoints('http.client.request.duration');
    expect(points.map((p) => [p.attributes, p.value.count])).toEqual([
      [
        {
          'http.request.method': 'GET',
          'server.address': '127.0.0.1',
          'server.port': Number(new URL(baseUrl).port),
          'http.response.status_code': 200,
          'network.protocol.version': '1.1',
        },
        1,
      ],
    ]);
  });

  it('names the span after the template the caller gives, which it carries as url.template', async () => {
    const client = createHttpClient({ name: 'dep', baseUrl: `${baseUrl}/` });
    const before = (await durationPoints('http.client.request.duration')).map((p) => p.value.count);
    await client.json({ path: '/orders/o-3?x=1', route: '/orders/:id' });
    await client.json({ path: '/orders/o-4' });
    const [named, unnamed] = telemetry.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(named?.name).toBe('GET /orders/:id');
    expect(named?.attributes['url.template']).toBe('/orders/:id');
    expect(named?.attributes['url.full']).toBe(`${baseUrl}/orders/o-3?x=1`);
    // No template, no ids in the name: the method alone.
    expect(unnamed?.name).toBe('GET');
    expect(unnamed?.attributes['url.template']).toBeUndefined();
    // The metric keeps its low-cardinality attributes: both calls in the one series, no template in it.
    const points = await durationPoints('http.client.request.duration');
    expect(points.map((p) => p.value.count)).toEqual([(before[0] ?? 0) + 2]);
    expect(points[0]?.attributes['url.template']).toBeUndefined();
  });

  it('marks an answer of 4xx/5xx and a failed call as errors', async () => {
    const client = createHttpClient({ name: 'dep', baseUrl, retries: 0 });
    await client.request({ path: '/missing' });
    let span = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('404');

    telemetry.reset();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createHttpClient({ name: 'gone', baseUrl: `http://127.0.0.1:${port}`, retries: 0 });
    await expect(refused.json({ path: '/x' })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    span = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('ECONNREFUSED');
    const points = await durationPoints('http.client.request.duration');
    expect(points.find((p) => p.attributes['server.port'] === port)?.attributes['error.type']).toBe(
      'ECONNREFUSED',
    );
  });

  it('leaves requests that are not its own alone: no span, no traceparent', async () => {
    let seen: string | string[] | undefined = 'unset';
    const sink = http.createServer((req, res) => {
      seen = req.headers.traceparent;
      res.end('{}');
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      const port = (sink.address() as AddressInfo).port;
      // As an OTLP exporter posts: node:http, inside whatever span is active.
      await tracer.startActiveSpan('exporting', async (span) => {
        await new Promise<void>((resolve, reject) => {
          http
            .request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST' }, (res) =>
              res.resume().on('end', resolve),
            )
            .on('error', reject)
            .end('{}');
        });
        span.end();
      });
      expect(seen).toBeUndefined();
      expect(telemetry.spans().map((s) => s.name)).toEqual(['exporting']);
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });
});
