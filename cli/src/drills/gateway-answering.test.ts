import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayAnswering } from './runner.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(server: http.Server, port = 0): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('gatewayAnswering (before a drill starts its load)', () => {
  it('waits through refused connections and 503s until /healthz answers 200', async () => {
    // A port that refuses at first: a gateway between two processes.
    const probe = http.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    servers.length = 0;
    let asked = 0;
    setTimeout(() => {
      void listen(
        http.createServer((req, res) => {
          asked++;
          res.writeHead(req.url === '/healthz' && asked > 2 ? 200 : 503).end();
        }),
        port,
      );
    }, 300);
    const started = Date.now();
    expect(await gatewayAnswering(`http://127.0.0.1:${port}`, 10_000, 50)).toBe(true);
    expect(asked).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('gives up after its time when nothing answers', async () => {
    const probe = http.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    servers.length = 0;
    const started = Date.now();
    expect(await gatewayAnswering(`http://127.0.0.1:${port}`, 400, 50)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
