import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, setActiveFaults } from '@glassbox/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreams } from './upstreams.js';

let server: http.Server;
let hits = 0;
let base = '';
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('gateway upstreams: injected dependency faults', () => {
  it('dependency-error answers for the faulty upstream only, and stops when cleared', async () => {
    const upstreams = createUpstreams({
      urls: { catalog: base, order: base },
      timeoutMs: 2_000,
      breaker: { failureThreshold: 100, openMs: 1_000 },
      logger: createLogger('gateway', 'silent'),
    });
    setActiveFaults([
      {
        id: 'g-1',
        kind: 'dependency-error',
        service: 'gateway',
        dependency: 'catalog',
        params: { rate: 1, status: 502 },
        startedAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        endedAt: null,
        by: 'test',
      },
    ]);
    try {
      hits = 0;
      const faulty = await upstreams.forward('catalog', { method: 'GET', url: '/x', headers: {} });
      expect(faulty.status).toBe(502);
      expect(JSON.parse(faulty.body.toString())).toMatchObject({ code: 'FAULT_INJECTED' });
      expect(hits).toBe(0);
      expect((await upstreams.forward('order', { method: 'GET', url: '/x', headers: {} })).status).toBe(200);
      setActiveFaults([]);
      expect((await upstreams.forward('catalog', { method: 'GET', url: '/x', headers: {} })).status).toBe(
        200,
      );
      expect(hits).toBe(2);
    } finally {
      setActiveFaults([]);
    }
  });
});
