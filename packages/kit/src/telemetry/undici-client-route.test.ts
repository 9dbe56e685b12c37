/**
 * The undici instrumentation as the kit configures it (`instrumentationsFor`): a request made inside
 * `withClientRoute` — as the gateway's proxy makes its calls — has a client span named by the route template,
 * with `url.template`; any other keeps undici's name, the method alone.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClientRoute } from '../http-telemetry.js';
import { captureTelemetry } from '../testing/telemetry.js';
import { readTelemetryEnv } from './env.js';
import { instrumentationsFor } from './index.js';

const telemetry = captureTelemetry();
const instrumentations = instrumentationsFor(
  readTelemetryEnv({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'undici' }),
);
const server = http.createServer((_req, res) =>
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
);
let baseUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const i of instrumentations) i.disable();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
});

describe("undici's client spans", () => {
  it('are named by the route template of withClientRoute, even after an await inside it', async () => {
    expect(instrumentations.map((i) => i.instrumentationName)).toEqual([
      '@opentelemetry/instrumentation-undici',
    ]);
    await withClientRoute('/api/v1/orders/:id', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await (await fetch(`${baseUrl}/api/v1/orders/o-1?x=1`)).text();
    });
    await (await fetch(`${baseUrl}/api/v1/orders/o-2`, { method: 'post' })).text();
    const [named, unnamed] = telemetry.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(named?.name).toBe('GET /api/v1/orders/:id');
    expect(named?.attributes['url.template']).toBe('/api/v1/orders/:id');
    expect(named?.attributes['url.full']).toBe(`${baseUrl}/api/v1/orders/o-1?x=1`);
    expect(unnamed?.name).toBe('POST');
    expect(unnamed?.attributes['url.template']).toBeUndefined();
  });
});
