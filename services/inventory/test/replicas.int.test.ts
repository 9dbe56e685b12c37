import { randomUUID } from 'node:crypto';
import { createLogger } from '@glassbox/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type InventoryApp } from '../src/app.js';
import {
  type Harness,
  INTERNAL_TOKEN,
  internalHeaders,
  newProduct,
  newTenant,
  putStock,
  startInventory,
  stockRow,
} from './helpers.js';

// Two replicas of the service on one database, both listening on real sockets: correctness must come from
// PostgreSQL, not from anything in one process.
let h: Harness;
let second: InventoryApp;
const urls: string[] = [];

beforeAll(async () => {
  h = await startInventory();
  second = await buildApp({
    db: h.db,
    logger: createLogger('inventory', 'silent'),
    internalToken: INTERNAL_TOKEN,
    auth: { keys: h.keys.keys },
    catalogUrl: h.catalogUrl,
    reservationTtlSeconds: 900,
  });
  urls.push(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  urls.push(await second.app.listen({ port: 0, host: '127.0.0.1' }));
});
afterAll(async () => {
  await second?.app.close();
  await h?.close();
});

async function reserveOver(url: string, tenant: string, body: unknown) {
  const response = await fetch(`${url}/internal/reservations`, {
    method: 'POST',
    headers: { ...internalHeaders(tenant), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('two replicas on one database', () => {
  it('N concurrent reservations over HTTP across both replicas succeed exactly min(N, S) times', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const S = 25;
    const N = 80;
    await putStock(h.db, tenant, p, S);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        reserveOver(urls[i % 2]!, tenant, {
          reservationId: randomUUID(),
          orderId: `o-${i}`,
          items: [{ productId: p, quantity: 1 }],
        }),
      ),
    );
    const elapsed = performance.now() - started;
    const won = results.filter((r) => r.status === 201).length;
    const lost = results.filter(
      (r) => r.status === 409 && r.body.code === 'OUT_OF_STOCK' && r.body.productId === p,
    ).length;
    // Every answer tallied by status and code, so a failure shows what the others were (a 503 under load, …).
    const tally: Record<string, number> = {};
    for (const r of results) {
      const key = `${r.status} ${r.status === 201 ? 'RESERVED' : String(r.body.code)}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    expect(tally).toEqual({ '201 RESERVED': S, '409 OUT_OF_STOCK': N - S });
    expect(won).toBe(S);
    expect(lost).toBe(N - S);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: S, reserved: S });
    console.info(
      `[replicas] ${N} concurrent reservations on stock ${S}: ${won} won, ${lost} refused in ${elapsed.toFixed(0)} ms`,
    );
  });

  it('two sweepers expire each reservation exactly once', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 1_000);
    const M = 60;
    for (let i = 0; i < M; i++) {
      const r = await reserveOver(urls[0]!, tenant, {
        reservationId: `exp-${i}`,
        orderId: `o-${i}`,
        items: [{ productId: p, quantity: 3 }],
      });
      expect(r.status).toBe(201);
    }
    await h.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE tenant_id = $1`,
      [tenant],
    );
    const [a, b] = await Promise.all([h.sweeper.sweep(), second.sweeper.sweep()]);
    expect(a + b).toBe(M);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 1_000, reserved: 0 });
  });

  it('a commit racing the sweeper on an expired reservation: stock is given back exactly once', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    for (let round = 0; round < 10; round++) {
      const id = randomUUID();
      await reserveOver(urls[0]!, tenant, {
        reservationId: id,
        orderId: 'o',
        items: [{ productId: p, quantity: 2 }],
      });
      await h.db.query(
        `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND id = $2`,
        [tenant, id],
      );
      const [commit] = await Promise.all([
        fetch(`${urls[1]}/internal/reservations/${id}/commit`, {
          method: 'POST',
          headers: internalHeaders(tenant),
        }),
        h.sweeper.sweep(),
      ]);
      expect(commit.status).toBe(409);
      expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
    }
  });
});
