import http, { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from './http-client.js';
import { readTelemetryEnv } from './telemetry/env.js';
import { instrumentationsFor } from './telemetry/index.js';
import { type CapturedTelemetry, captureTelemetry } from './testing/telemetry.js';

/**
 * The kit's client is on node:http: its calls are traced and measured by the HTTP instrumentation, and nothing
 * else on node:http is (the OTLP exporters' own requests go through agents of their own).
 */
let telemetry: CapturedTelemetry;
let instrumentations: Instrumentation[];
let server: Server;
let baseUrl: string;
let seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  telemetry = captureTelemetry();
  instrumentations = instrumentationsFor(readTelemetryEnv({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' }));
  for (const i of instrumentations) i.enable();
  // The instrumentation patches node:http when it is required (a service's Fastify does so at start).
  createRequire(import.meta.url)('node:http');
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const i of instrumentations) i.disable();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
});
beforeEach(() => {
  telemetry.reset();
  seen = [];
});

describe('the kit HTTP client under the HTTP instrumentation', () => {
  it("makes a client span, propagates it as the callee's parent and records http.client.request.duration", async () => {
    const client = createHttpClient({ name: 'dep', baseUrl });
    await client.json({ path: '/things/1' });
    const clients = telemetry.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(1);
    const span = clients[0];
    const { traceId, spanId } = span?.spanContext() ?? {};
    expect(seen[0]?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(span?.attributes['http.response.status_code']).toBe(200);
    const points = await telemetry.points('http.client.request.duration');
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
  });

  it('gives the instrumentation the pathname, so that it parses no URL per call', async () => {
    const client = createHttpClient({ name: 'dep', baseUrl });
    await client.json({ path: '/healthz' });
    telemetry.reset();
    const Original = globalThis.URL;
    let parsed = 0;
    globalThis.URL = class extends Original {
      constructor(...args: ConstructorParameters<typeof URL>) {
        // Counted before parsing: the instrumentation's parse throws here (it joins host and port without a
        // colon) and catches it, which made it costlier still.
        parsed++;
        super(...args);
      }
    } as typeof URL;
    try {
      // A probe path: the server side of this test (instrumented too) ignores it before reading its URL. (A
      // query string is parsed, to redact it in url.full.)
      await client.json({ path: '/healthz' });
    } finally {
      globalThis.URL = Original;
    }
    expect(parsed).toBe(0);
    const span = telemetry.spans().find((s) => s.kind === SpanKind.CLIENT);
    expect(span?.attributes['url.full']).toBe(`${baseUrl}/healthz`);
  });

  it('leaves requests on any other agent alone: no span, no metric, no traceparent', async () => {
    const clientCalls = async () =>
      (await telemetry.points('http.client.request.duration')).reduce(
        (n, p) => n + (p.value as { count: number }).count,
        0,
      );
    const before = await clientCalls();
    const exporterLike = new http.Agent({ keepAlive: false });
    await new Promise<void>((resolve, reject) => {
      http
        .request(`${baseUrl}/v1/traces`, { method: 'POST', agent: exporterLike }, (res) => {
          res.resume().on('end', resolve);
        })
        .on('error', reject)
        .end('{}');
    });
    expect(seen[0]?.traceparent).toBeUndefined();
    // (The test server in this process is instrumented too: its server span is the only one.)
    expect(telemetry.spans().map((s) => s.kind)).toEqual([SpanKind.SERVER]);
    expect(await clientCalls()).toBe(before);
  });
});
