/**
 * The gateway's calls to the services are measured as it lives through them (glassbox.dependency.duration,
 * which UpstreamCallsSlow and UpstreamCallsFailing read): an injected dependency fault included, a refused
 * connection as a failure, a call the client abandoned not at all.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
// The kit makes its instrument when it loads: the SDK must be global before it does.
const reader = new CollectingReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
const { createLogger, setActiveFaults } = await import('@glassbox/kit');
const { createUpstreams } = await import('./upstreams.js');

let server: http.Server;
let base = '';
let closedBase = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      setTimeout(() => res.writeHead(200).end('{}'), 2_000).unref();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
});
afterEach(() => setActiveFaults([]));
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await provider.shutdown();
  metrics.disable();
});

async function points(upstream: string): Promise<DataPoint<Histogram>[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'glassbox.dependency.duration')
    .flatMap((m) => m.dataPoints as DataPoint<Histogram>[])
    .filter((p) => p.attributes['glassbox.dependency'] === upstream);
}

const fault = (kind: 'dependency-latency' | 'dependency-error', dependency: string, params: object) => ({
  id: `g-${kind}`,
  kind,
  service: 'gateway',
  dependency,
  params: { rate: 1, jitterMs: 0, ...params },
  startedAt: new Date().toISOString(),
  endsAt: new Date(Date.now() + 60_000).toISOString(),
  endedAt: null,
  by: 'test',
});

const upstreams = () =>
  createUpstreams({
    urls: { catalog: base, order: base, inventory: closedBase, payment: base },
    timeoutMs: 5_000,
    breaker: { failureThreshold: 100, openMs: 1_000 },
    logger: createLogger('gateway', 'silent'),
  });

describe('gateway upstreams: glassbox.dependency.duration', () => {
  it('includes an injected dependency-latency in the call, and counts a dependency-error as failed', async () => {
    const u = upstreams();
    setActiveFaults([fault('dependency-latency', 'catalog', { ms: 300 })]);
    expect((await u.forward('catalog', { method: 'GET', url: '/x', headers: {} })).status).toBe(200);
    const [slow] = await points('catalog');
    expect(slow?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(slow?.value.sum).toBeGreaterThanOrEqual(0.29);

    setActiveFaults([fault('dependency-error', 'order', { status: 503 })]);
    expect((await u.forward('order', { method: 'GET', url: '/x', headers: {} })).status).toBe(503);
    const failed = await points('order');
    expect(failed.map((p) => [p.attributes['error.type'], p.value.count])).toEqual([['503', 1]]);
    await u.close();
  });

  it('counts a refused connection as a failure (each attempt), and not a call the client abandoned', async () => {
    const u = upstreams();
    await expect(u.forward('inventory', { method: 'GET', url: '/x', headers: {} })).rejects.toThrow(
      /unavailable/,
    );
    const refused = await points('inventory');
    expect(refused.map((p) => p.attributes['error.type'])).toEqual(['ECONNREFUSED']);
    expect(refused[0]?.value.count).toBe(2); // a GET is retried once when nothing reached the service

    const client = new AbortController();
    const abandoned = u.forward('payment', {
      method: 'GET',
      url: '/slow',
      headers: {},
      signal: client.signal,
    });
    setTimeout(() => client.abort(), 100);
    await expect(abandoned).rejects.toThrow();
    expect(await points('payment')).toEqual([]);
    await u.close();
  });
});
