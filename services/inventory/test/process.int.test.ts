import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DEMO_PRODUCTS, DEMO_TENANT } from '@glassbox/contracts';
import { createTestDatabase, spawnService, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('inventory_proc');
});
afterAll(async () => {
  await database?.drop();
});

interface Running {
  child: ChildProcess;
  url: string;
  logs: string[];
}

/** Starts the service the way the supervisor does and waits for its "listening" log line. */
async function start(): Promise<Running> {
  const { child, url, logs } = await spawnService({
    name: 'inventory',
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      AUTH_URL: 'http://127.0.0.1:9', // never called by these checks
      INTERNAL_TOKEN,
      SEED_DEMO: 'true',
      LOG_LEVEL: 'info',
      OTEL_SERVICE_NAME: 'inventory',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      RESERVATION_SWEEP_INTERVAL_MS: '200',
    },
  });
  return { child, url, logs };
}

async function stop(running: Running): Promise<number | null> {
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

const internal = { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': DEMO_TENANT.id };

describe('inventory as a process', () => {
  it('migrates, seeds the demo stock, serves, expires reservations on its own and stops cleanly; a restart keeps the data', async () => {
    const first = await start();
    try {
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      const product = DEMO_PRODUCTS[0]!;
      const stock = await fetch(`${first.url}/internal/stock/${product.id}`, { headers: internal });
      expect(await stock.json()).toEqual({
        productId: product.id,
        onHand: product.stock,
        reserved: 0,
        available: product.stock,
      });

      const reserve = await fetch(`${first.url}/internal/reservations`, {
        method: 'POST',
        headers: { ...internal, 'content-type': 'application/json' },
        body: JSON.stringify({
          reservationId: randomUUID(),
          orderId: 'o',
          items: [{ productId: product.id, quantity: 2 }],
          ttlSeconds: 1,
        }),
      });
      expect(reserve.status).toBe(201);
      expect(reserve.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

      // The sweeper (every 200 ms here) gives the stock back once the 1 s ttl has passed.
      const deadline = Date.now() + 15_000;
      let reserved = 2;
      while (reserved !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        reserved = (
          (await (
            await fetch(`${first.url}/internal/stock/${product.id}`, { headers: internal })
          ).json()) as { reserved: number }
        ).reserved;
      }
      expect(reserved).toBe(0);

      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      expect(metrics).toMatch(/glassbox_stock_reserved_total\S* 2/);
      expect(metrics).toMatch(/glassbox_stock_released_total\{[^}]*glassbox_reason="expired"[^}]*\} 2/);
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const second = await start();
    try {
      const product = DEMO_PRODUCTS[1]!;
      const stock = await fetch(`${second.url}/internal/stock/${product.id}`, { headers: internal });
      expect(((await stock.json()) as { onHand: number }).onHand).toBe(product.stock);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
