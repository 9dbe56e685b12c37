import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { remediationRoutes } from './routes.js';

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

async function app(healerUrl: string | undefined) {
  const a = Fastify();
  await a.register(remediationRoutes, { healerUrl, timeoutMs: 1000 });
  return a;
}

describe('GET /api/remediations (read through to the healer)', () => {
  it('says so when no healer is configured', async () => {
    const res = await (await app(undefined)).inject({ url: '/api/remediations' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain('HEALER_URL');
  });

  it('answers 502 when the healer does not answer, and passes its answer and the limit through', async () => {
    const seen: string[] = [];
    const healer = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"remediations":[],"runbooks":[]}');
    });
    servers.push(healer);
    await new Promise<void>((r) => healer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(healer.address() as AddressInfo).port}`;
    const ok = await (await app(url)).inject({ url: '/api/remediations?limit=5' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ remediations: [], runbooks: [] });
    expect(seen).toEqual(['/api/remediations?limit=5']);
    const bad = await (await app(url)).inject({ url: '/api/remediations?limit=0' });
    expect(bad.statusCode).toBe(400);

    await new Promise((r) => healer.close(r));
    servers.pop();
    const down = await (await app(url)).inject({ url: '/api/remediations' });
    expect(down.statusCode).toBe(502);
    expect(down.json().detail).toContain('the healer did not answer');
  });
});
