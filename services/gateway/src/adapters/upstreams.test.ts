import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, setActiveFaults } from '@glassbox/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreams } from './upstreams.js';

let server: http.Server;
let hits = 0;
let base = '';
/** What the stub answers per path (default 200 with the path and the caller's Authorization header). */
const statusOf = new Map<string, number>();
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    const status = statusOf.get(req.url ?? '') ?? 200;
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: status === 200, url: req.url, caller: req.headers.authorization ?? null }));
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

describe('gateway upstreams: degraded answers under a held circuit', () => {
  const fault = (status: number) => ({
    id: `g-${status}`,
    kind: 'dependency-error' as const,
    service: 'gateway',
    dependency: 'catalog',
    params: { rate: 1, status },
    startedAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    endedAt: null,
    by: 'test',
  });
  const get = (upstreams: ReturnType<typeof createUpstreams>, url: string, caller: string, tenant?: string) =>
    upstreams.forward('catalog', {
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${caller}` },
      ...(tenant === undefined ? {} : { sharedWithTenant: tenant }),
    });

  it('shares a public read within its tenant only, keeps personal ones per caller, and survives the 5xx before the circuit', async () => {
    const upstreams = createUpstreams({
      urls: { catalog: base },
      timeoutMs: 2_000,
      breaker: { failureThreshold: 100, openMs: 1_000 },
      logger: createLogger('gateway', 'silent'),
    });
    try {
      const shared = await get(upstreams, '/products?limit=5', 'alice', 't1');
      const personal = await get(upstreams, '/mine', 'alice');
      expect([shared.status, personal.status]).toEqual([200, 200]);
      // The dependency fails before the healer holds the circuit: those 503s must not evict the good answers.
      setActiveFaults([fault(503)]);
      expect((await get(upstreams, '/products?limit=5', 'bob', 't1')).status).toBe(503);
      expect((await get(upstreams, '/mine', 'alice')).status).toBe(503);
      setActiveFaults([]);
      upstreams.holdOpen('catalog', 60_000);

      // Any caller of the tenant, a new one too, gets the tenant's last good public answer.
      const carol = await get(upstreams, '/products?limit=5', 'carol', 't1');
      expect(carol.degraded).toMatchObject({ scope: 'tenant' });
      expect(carol.body.toString()).toBe(shared.body.toString());
      // Never another tenant's.
      await expect(get(upstreams, '/products?limit=5', 'eve', 't2')).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
      });
      // A personal answer goes to its own caller only (it names alice: nobody else may see it).
      const own = await get(upstreams, '/mine', 'alice');
      expect(own.degraded).toMatchObject({ scope: 'caller' });
      expect(JSON.parse(own.body.toString())).toMatchObject({ caller: 'Bearer alice' });
      await expect(get(upstreams, '/mine', 'bob')).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      // Nor does a personal read of the same URL ever get the tenant's shared answer, or the other way round.
      await expect(get(upstreams, '/products?limit=5', 'alice')).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
      });

      // A 404 is news: it forgets the last good answer.
      upstreams.release('catalog');
      statusOf.set('/products?limit=5', 404);
      expect((await get(upstreams, '/products?limit=5', 'alice', 't1')).status).toBe(404);
      upstreams.holdOpen('catalog', 60_000);
      await expect(get(upstreams, '/products?limit=5', 'carol', 't1')).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
      });
    } finally {
      setActiveFaults([]);
      statusOf.clear();
      await upstreams.close();
    }
  });

  it('keeps each upstream’s answers apart: heavy traffic to another upstream evicts none of them', async () => {
    const upstreams = createUpstreams({
      urls: { catalog: base, order: base },
      timeoutMs: 2_000,
      breaker: { failureThreshold: 100, openMs: 1_000 },
      logger: createLogger('gateway', 'silent'),
    });
    try {
      const shared = await get(upstreams, '/products?limit=20', 'alice', 't1');
      expect(shared.status).toBe(200);
      // Order status polls: more distinct answers than one upstream's store holds.
      for (let i = 0; i < 1_100; i++) {
        const res = await upstreams.forward('order', {
          method: 'GET',
          url: `/orders/${i}`,
          headers: { authorization: `Bearer u${i}` },
        });
        expect(res.status).toBe(200);
      }
      upstreams.holdOpen('catalog', 60_000);
      const degraded = await get(upstreams, '/products?limit=20', 'carol', 't1');
      expect(degraded.degraded).toMatchObject({ scope: 'tenant' });
      expect(degraded.body.toString()).toBe(shared.body.toString());
    } finally {
      await upstreams.close();
    }
  });
});
