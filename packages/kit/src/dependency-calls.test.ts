/**
 * glassbox.dependency.duration sees what the caller lives through, injected dependency faults included: the
 * UpstreamCallsSlow and UpstreamCallsFailing alerts read it, and the faults' seam sits before the wire.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAULT_CATALOGUE, type Fault, type FaultKind } from '@glassbox/contracts';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setActiveFaults } from './faults/state.js';
import { captureTelemetry } from './testing/telemetry.js';

// The instrument is made when the module loads: the in-memory SDK must be global before it does.
const telemetry = captureTelemetry();
const { createHttpClient } = await import('./http-client.js');
const { startDependencyCall } = await import('./dependency-calls.js');
const { errorTypeOf } = await import('./error-type.js');

let server: Server;
let baseUrl: string;
let status = 200;
let n = 0;

function fault(kind: FaultKind, params: Fault['params']): Fault {
  const defaults = Object.fromEntries(
    Object.entries(FAULT_CATALOGUE[kind].params).map(([k, spec]) => [k, spec.default]),
  );
  return {
    id: `dep-${++n}`,
    kind,
    service: 'unit',
    dependency: 'inventory',
    params: { ...defaults, ...params },
    startedAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    endedAt: null,
    by: 'test',
  };
}

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  setActiveFaults([]);
  status = 200;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
});

type Point = DataPoint<Histogram>;
const points = async (dependency: string) =>
  ((await telemetry.points('glassbox.dependency.duration')) as Point[]).filter(
    (p) => p.attributes['glassbox.dependency'] === dependency,
  );

describe('glassbox.dependency.duration', () => {
  it('times a call with the injected dependency-latency in it', async () => {
    const client = createHttpClient({ name: 'inventory', baseUrl });
    setActiveFaults([fault('dependency-latency', { ms: 300, jitterMs: 0, rate: 1 })]);
    await client.json({ path: '/x' });
    const [point] = await points('inventory');
    expect(point?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(point?.attributes['error.type']).toBeUndefined();
    expect(point?.value.count).toBe(1);
    expect(point?.value.sum).toBeGreaterThanOrEqual(0.29);
  });

  it('counts an injected dependency-error as a failed call, each attempt, with the status as error.type', async () => {
    const client = createHttpClient({ name: 'payment', baseUrl, retries: 1, backoffMs: 1 });
    setActiveFaults([{ ...fault('dependency-error', { rate: 1, status: 503 }), dependency: 'payment' }]);
    await expect(client.json({ path: '/x' })).rejects.toThrow(/503/);
    const failed = (await points('payment')).filter((p) => p.attributes['error.type'] === '503');
    expect(failed.reduce((sum, p) => sum + p.value.count, 0)).toBe(2);
  });

  it('records real answers: a 5xx is a failure, a 4xx an answer; a refused connection is a failure', async () => {
    const client = createHttpClient({ name: 'catalog', baseUrl, retries: 0 });
    status = 500;
    await expect(client.json({ path: '/x' })).rejects.toThrow(/500/);
    status = 404;
    await expect(client.json({ path: '/x' })).rejects.toThrow(/404/);
    const byStatus = Object.fromEntries(
      (await points('catalog')).map((p) => [
        String(p.attributes['http.response.status_code']),
        p.attributes['error.type'],
      ]),
    );
    expect(byStatus).toEqual({ '500': '500', '404': undefined });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = createHttpClient({ name: 'gone', baseUrl: `http://127.0.0.1:${port}`, retries: 0 });
    await expect(gone.json({ path: '/x' })).rejects.toThrow(/unreachable/);
    expect((await points('gone')).map((p) => p.attributes['error.type'])).toEqual(['ECONNREFUSED']);
  });

  it('records one outcome per call, and none for a call its own caller cancelled', async () => {
    const call = startDependencyCall('order', 'POST');
    call.answered(201);
    call.failed(new Error('late'));
    const cancelled = startDependencyCall('order', 'DELETE');
    cancelled.cancelled();
    cancelled.failed(new Error('aborted'));
    const order = await points('order');
    expect(order.map((p) => [p.attributes['http.request.method'], p.value.count])).toEqual([['POST', 1]]);
    expect(errorTypeOf(Object.assign(new Error('x'), { cause: { code: 'ECONNRESET' } }))).toBe('ECONNRESET');
    expect(errorTypeOf(new DOMException('t', 'TimeoutError'))).toBe('TimeoutError');
  });
});
