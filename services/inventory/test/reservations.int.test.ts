import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@glassbox/kit';
import { inActiveTrace } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpirySweeper } from '../src/sweeper.js';
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

let h: Harness;
beforeAll(async () => {
  h = await startInventory();
});
afterAll(async () => {
  await h?.close();
});

interface Item {
  productId: string;
  quantity: number;
}

function reserve(
  tenantId: string,
  body: { reservationId: string; orderId: string; items: Item[]; ttlSeconds?: number },
) {
  return h.app.inject({
    method: 'POST',
    url: '/internal/reservations',
    headers: internalHeaders(tenantId),
    payload: body,
  });
}

function action(tenantId: string, id: string, verb: 'commit' | 'release') {
  return h.app.inject({
    method: 'POST',
    url: `/internal/reservations/${id}/${verb}`,
    headers: internalHeaders(tenantId),
  });
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
}

describe('POST /internal/reservations', () => {
  it('holds stock and answers 201 RESERVED with the expiry; the same id again answers 200 with the same', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    const body = {
      reservationId: `res-${randomUUID()}`,
      orderId: 'order-1',
      items: [{ productId: p, quantity: 3 }],
    };

    const before = Date.now();
    const first = await reserve(tenant, body);
    expect(first.statusCode).toBe(201);
    const reservation = first.json();
    expect(reservation).toMatchObject({
      reservationId: body.reservationId,
      orderId: 'order-1',
      status: 'RESERVED',
    });
    expect(reservation.items).toEqual([{ productId: p, quantity: 3 }]);
    const expiresIn = Date.parse(reservation.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(890_000);
    expect(expiresIn).toBeLessThan(910_000);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 3 });

    const again = await reserve(tenant, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(reservation);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 3 });

    const read = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${body.reservationId}`,
      headers: internalHeaders(tenant),
    });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(reservation);

    const stock = await h.app.inject({
      method: 'GET',
      url: `/internal/stock/${p}`,
      headers: internalHeaders(tenant),
    });
    expect(stock.json()).toEqual({ productId: p, onHand: 10, reserved: 3, available: 7 });
  });

  it('honours ttlSeconds', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 1);
    const response = await reserve(tenant, {
      reservationId: randomUUID(),
      orderId: 'o',
      items: [{ productId: p, quantity: 1 }],
      ttlSeconds: 60,
    });
    expect(response.statusCode).toBe(201);
    const expiresIn = Date.parse(response.json().expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(50_000);
    expect(expiresIn).toBeLessThan(70_000);
  });

  it('holds a flash sale for weeks: ttlSeconds up to 90 days, not beyond', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 2);
    const thirtyDays = 30 * 86_400;
    const response = await reserve(tenant, {
      reservationId: randomUUID(),
      orderId: 'flash-sale',
      items: [{ productId: p, quantity: 1 }],
      ttlSeconds: thirtyDays,
    });
    expect(response.statusCode).toBe(201);
    const expiresIn = Date.parse(response.json().expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan((thirtyDays - 60) * 1000);
    const tooLong = await reserve(tenant, {
      reservationId: randomUUID(),
      orderId: 'flash-sale',
      items: [{ productId: p, quantity: 1 }],
      ttlSeconds: 7_776_001,
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('ttlSeconds');
  });

  it('merges repeated products of one request', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 5);
    const response = await reserve(tenant, {
      reservationId: randomUUID(),
      orderId: 'o',
      items: [
        { productId: p, quantity: 2 },
        { productId: p, quantity: 2 },
      ],
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().items).toEqual([{ productId: p, quantity: 4 }]);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 5, reserved: 4 });
  });

  it('refuses the same reservation id for other items with 422 and holds nothing more', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    const id = randomUUID();
    expect(
      (await reserve(tenant, { reservationId: id, orderId: 'o', items: [{ productId: p, quantity: 1 }] }))
        .statusCode,
    ).toBe(201);
    const other = await reserve(tenant, {
      reservationId: id,
      orderId: 'o',
      items: [{ productId: p, quantity: 2 }],
    });
    expectProblem(other, 422);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', reservationId: id });
    const otherOrder = await reserve(tenant, {
      reservationId: id,
      orderId: 'o2',
      items: [{ productId: p, quantity: 1 }],
    });
    expectProblem(otherOrder, 422);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 1 });
  });

  it('is all-or-nothing: one short product refuses the whole reservation with 409 OUT_OF_STOCK naming it', async () => {
    const tenant = newTenant();
    const plenty = newProduct();
    const scarce = newProduct();
    await putStock(h.db, tenant, plenty, 100);
    await putStock(h.db, tenant, scarce, 2);
    const id = randomUUID();
    // Inside an active trace, as the HTTP server span makes it: the problem names that trace.
    const { response, traceId } = await inActiveTrace(async (traceId) => ({
      traceId,
      response: await reserve(tenant, {
        reservationId: id,
        orderId: 'o',
        items: [
          { productId: plenty, quantity: 5 },
          { productId: scarce, quantity: 3 },
        ],
      }),
    }));
    expectProblem(response, 409);
    expect(response.json()).toMatchObject({
      code: 'OUT_OF_STOCK',
      productId: scarce,
      requested: 3,
      available: 2,
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(response.json().traceId).toBe(traceId);
    expect(await stockRow(h.db, tenant, plenty)).toEqual({ on_hand: 100, reserved: 0 });
    expect(await stockRow(h.db, tenant, scarce)).toEqual({ on_hand: 2, reserved: 0 });
    // Nothing was kept: the same id may try again once stock is there.
    const read = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${id}`,
      headers: internalHeaders(tenant),
    });
    expect(read.statusCode).toBe(404);
    await putStock(h.db, tenant, scarce, 3);
    const retry = await reserve(tenant, {
      reservationId: id,
      orderId: 'o',
      items: [
        { productId: plenty, quantity: 5 },
        { productId: scarce, quantity: 3 },
      ],
    });
    expect(retry.statusCode).toBe(201);
  });

  it('treats a product without a stock record as out of stock', async () => {
    const tenant = newTenant();
    const unknown = newProduct();
    const response = await reserve(tenant, {
      reservationId: randomUUID(),
      orderId: 'o',
      items: [{ productId: unknown, quantity: 1 }],
    });
    expectProblem(response, 409);
    expect(response.json()).toMatchObject({ code: 'OUT_OF_STOCK', productId: unknown, available: 0 });
  });
});

describe('concurrency', () => {
  it('N concurrent reservations of one unit on stock S succeed exactly min(N, S) times', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const S = 10;
    const N = 40;
    await putStock(h.db, tenant, p, S);
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        reserve(tenant, {
          reservationId: `c-${i}-${randomUUID()}`,
          orderId: `o-${i}`,
          items: [{ productId: p, quantity: 1 }],
        }),
      ),
    );
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(Math.min(N, S));
    expect(codes.filter((c) => c === 409)).toHaveLength(N - S);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: S, reserved: S });
  });

  it('never oversells with multi-unit, multi-product reservations locking in opposite orders', async () => {
    const tenant = newTenant();
    const a = newProduct();
    const b = newProduct();
    await putStock(h.db, tenant, a, 25);
    await putStock(h.db, tenant, b, 25);
    const N = 30;
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        reserve(tenant, {
          reservationId: randomUUID(),
          orderId: `o-${i}`,
          // Opposite orders on purpose: the store locks rows in product-id order, so no deadlock.
          items:
            i % 2 === 0
              ? [
                  { productId: a, quantity: 2 },
                  { productId: b, quantity: 1 },
                ]
              : [
                  { productId: b, quantity: 2 },
                  { productId: a, quantity: 1 },
                ],
        }),
      ),
    );
    const codes = responses.map((r) => r.statusCode);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    const won = responses.filter((r) => r.statusCode === 201).map((r) => r.json().items as Item[]);
    const held = (productId: string) =>
      won.flat().reduce((n, item) => n + (item.productId === productId ? item.quantity : 0), 0);
    const rowA = await stockRow(h.db, tenant, a);
    const rowB = await stockRow(h.db, tenant, b);
    expect(rowA?.reserved).toBe(held(a));
    expect(rowB?.reserved).toBe(held(b));
    expect(rowA!.reserved).toBeLessThanOrEqual(25);
    expect(rowB!.reserved).toBeLessThanOrEqual(25);
    // No spurious refusals: stock only went down during the race, so every refused request must still not fit.
    const availableA = 25 - rowA!.reserved;
    const availableB = 25 - rowB!.reserved;
    responses.forEach((r, i) => {
      if (r.statusCode !== 409) return;
      const [needA, needB] = i % 2 === 0 ? [2, 1] : [1, 2];
      expect(availableA < needA || availableB < needB).toBe(true);
    });
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(N);
  });

  it('the same reservation id sent concurrently is held once: one 201, the rest 200', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 100);
    const body = { reservationId: randomUUID(), orderId: 'o', items: [{ productId: p, quantity: 7 }] };
    const responses = await Promise.all(Array.from({ length: 12 }, () => reserve(tenant, body)));
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(11);
    expect(new Set(responses.map((r) => r.json().expiresAt)).size).toBe(1);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 100, reserved: 7 });
  });

  it('concurrent commits and releases of the same reservation move stock exactly once', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    const id = randomUUID();
    expect(
      (await reserve(tenant, { reservationId: id, orderId: 'o', items: [{ productId: p, quantity: 4 }] }))
        .statusCode,
    ).toBe(201);
    const commits = await Promise.all(Array.from({ length: 8 }, () => action(tenant, id, 'commit')));
    expect(commits.every((r) => r.statusCode === 200)).toBe(true);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 6, reserved: 0 });

    const id2 = randomUUID();
    expect(
      (await reserve(tenant, { reservationId: id2, orderId: 'o2', items: [{ productId: p, quantity: 5 }] }))
        .statusCode,
    ).toBe(201);
    const releases = await Promise.all(Array.from({ length: 8 }, () => action(tenant, id2, 'release')));
    expect(releases.every((r) => r.statusCode === 200)).toBe(true);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 6, reserved: 0 });
  });
});

describe('commit and release', () => {
  async function reserved(tenant: string, p: string, quantity: number, onHand = 10) {
    await putStock(h.db, tenant, p, onHand);
    const id = randomUUID();
    const response = await reserve(tenant, {
      reservationId: id,
      orderId: 'o',
      items: [{ productId: p, quantity }],
    });
    expect(response.statusCode).toBe(201);
    return id;
  }

  it('commit deducts on_hand and the hold, idempotently', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const id = await reserved(tenant, p, 3);
    const commit = await action(tenant, id, 'commit');
    expect(commit.statusCode).toBe(200);
    const committed = { reservationId: id, status: 'COMMITTED', items: [{ productId: p, quantity: 3 }] };
    expect(commit.json()).toEqual(committed);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 7, reserved: 0 });
    expect((await action(tenant, id, 'commit')).json()).toEqual(committed);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 7, reserved: 0 });
  });

  it('commit of an unknown reservation is 404', async () => {
    const response = await action(newTenant(), randomUUID(), 'commit');
    expectProblem(response, 404);
    expect(response.json().code).toBe('NOT_FOUND');
  });

  it('release gives the hold back, idempotently, and a released reservation cannot be committed', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const id = await reserved(tenant, p, 4);
    const release = await action(tenant, id, 'release');
    expect(release.statusCode).toBe(200);
    expect(release.json()).toEqual({ reservationId: id, status: 'RELEASED' });
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
    expect((await action(tenant, id, 'release')).statusCode).toBe(200);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });

    const commit = await action(tenant, id, 'commit');
    expectProblem(commit, 409);
    expect(commit.json()).toMatchObject({ code: 'ILLEGAL_TRANSITION', status: 409, reservationId: id });
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('release of an unknown reservation is a 200 no-op', async () => {
    const id = randomUUID();
    const response = await action(newTenant(), id, 'release');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ reservationId: id, status: 'RELEASED' });
  });

  it('a settlement commits only what was sold and gives the rest of the hold back; a late restock returns what it took', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const id = await reserved(tenant, p, 6, 10);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 6 });
    const settle = () =>
      h.app.inject({
        method: 'POST',
        url: `/internal/reservations/${id}/commit`,
        headers: internalHeaders(tenant),
        payload: { items: [{ productId: p, quantity: 4 }] },
      });
    const first = await settle();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      reservationId: id,
      status: 'COMMITTED',
      items: [{ productId: p, quantity: 4 }],
    });
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 6, reserved: 0 });
    // Repeated: the same answer, nothing moves again.
    expect((await settle()).json()).toEqual(first.json());
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 6, reserved: 0 });
    // The same commit with other quantities is refused, and so is a full commit after a partial one.
    const other = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${id}/commit`,
      headers: internalHeaders(tenant),
      payload: { items: [{ productId: p, quantity: 5 }] },
    });
    expectProblem(other, 409);
    expect(other.json()).toMatchObject({ code: 'CONFLICT', committed: [{ productId: p, quantity: 4 }] });
    expect((await action(tenant, id, 'commit')).json()).toEqual(first.json());
    // A compensation after the settlement puts back exactly the 4 units taken, not the 6 held.
    expect((await action(tenant, id, 'release')).statusCode).toBe(200);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('a settlement of nothing sold gives the whole hold back; products not listed are given back in full', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const q = newProduct();
    await putStock(h.db, tenant, p, 10);
    await putStock(h.db, tenant, q, 10);
    const id = randomUUID();
    await reserve(tenant, {
      reservationId: id,
      orderId: 'o',
      items: [
        { productId: p, quantity: 3 },
        { productId: q, quantity: 2 },
      ],
    });
    const commit = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${id}/commit`,
      headers: internalHeaders(tenant),
      payload: { items: [{ productId: q, quantity: 1 }] },
    });
    expect(commit.statusCode).toBe(200);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockRow(h.db, tenant, q)).toEqual({ on_hand: 9, reserved: 0 });

    const none = await reserved(tenant, p, 5);
    const zero = await h.app.inject({
      method: 'POST',
      url: `/internal/reservations/${none}/commit`,
      headers: internalHeaders(tenant),
      payload: { items: [{ productId: p, quantity: 0 }] },
    });
    expect(zero.json().items).toEqual([{ productId: p, quantity: 0 }]);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
  });

  for (const [name, items, field] of [
    ['more than held', (p: string) => [{ productId: p, quantity: 7 }], '/items/0/quantity'],
    ['a product not held', () => [{ productId: randomUUID(), quantity: 1 }], '/items/0/productId'],
    [
      'a product twice',
      (p: string) => [
        { productId: p, quantity: 1 },
        { productId: p, quantity: 1 },
      ],
      '/items/1/productId',
    ],
    ['a negative quantity', (p: string) => [{ productId: p, quantity: -1 }], 'quantity'],
  ] as const) {
    it(`a settlement of ${name} is a 400 naming the item, and nothing moves`, async () => {
      const tenant = newTenant();
      const p = newProduct();
      const id = await reserved(tenant, p, 6, 10);
      const response = await h.app.inject({
        method: 'POST',
        url: `/internal/reservations/${id}/commit`,
        headers: internalHeaders(tenant),
        payload: { items: items(p) },
      });
      expectProblem(response, 400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(response.json())).toContain(field);
      expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 6 });
      expect(
        (
          await h.app.inject({
            method: 'GET',
            url: `/internal/reservations/${id}`,
            headers: internalHeaders(tenant),
          })
        ).json().status,
      ).toBe('RESERVED');
    });
  }

  it('release of a committed reservation (a late compensation) puts the goods back on hand', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const id = await reserved(tenant, p, 3);
    await action(tenant, id, 'commit');
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 7, reserved: 0 });
    const release = await action(tenant, id, 'release');
    expect(release.statusCode).toBe(200);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
    expect((await action(tenant, id, 'release')).statusCode).toBe(200);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
    expectProblem(await action(tenant, id, 'commit'), 409);
  });
});

describe('expiry', () => {
  async function expire(tenant: string, id: string) {
    await h.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND id = $2`,
      [tenant, id],
    );
  }

  it('the sweeper releases expired reservations; they can then be released (no-op) but not committed', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    const live = randomUUID();
    const stale = randomUUID();
    await reserve(tenant, { reservationId: live, orderId: 'o1', items: [{ productId: p, quantity: 2 }] });
    await reserve(tenant, { reservationId: stale, orderId: 'o2', items: [{ productId: p, quantity: 5 }] });
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 7 });
    await expire(tenant, stale);

    expect(await h.sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 2 });
    const read = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${stale}`,
      headers: internalHeaders(tenant),
    });
    expect(read.json().status).toBe('EXPIRED');
    const liveRead = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${live}`,
      headers: internalHeaders(tenant),
    });
    expect(liveRead.json().status).toBe('RESERVED');

    const commit = await action(tenant, stale, 'commit');
    expectProblem(commit, 409);
    expect(commit.json()).toMatchObject({ code: 'ILLEGAL_TRANSITION', status: 409 });
    expect((await action(tenant, stale, 'release')).json()).toEqual({
      reservationId: stale,
      status: 'RELEASED',
    });
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 2 });
    expect(await h.sweeper.sweep()).toBe(0);
  });

  it('a commit that arrives after the deadline, before the sweeper, expires the reservation and is refused', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 10);
    const id = randomUUID();
    await reserve(tenant, { reservationId: id, orderId: 'o', items: [{ productId: p, quantity: 4 }] });
    await expire(tenant, id);
    const commit = await action(tenant, id, 'commit');
    expectProblem(commit, 409);
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('the sweeper loop releases a reservation once its ttl has passed', async () => {
    const tenant = newTenant();
    const p = newProduct();
    await putStock(h.db, tenant, p, 3);
    const id = randomUUID();
    await reserve(tenant, {
      reservationId: id,
      orderId: 'o',
      items: [{ productId: p, quantity: 3 }],
      ttlSeconds: 1,
    });
    const sweeper = createExpirySweeper(h.store, createLogger('inventory', 'silent'), 100);
    sweeper.start();
    try {
      const deadline = Date.now() + 10_000;
      while ((await stockRow(h.db, tenant, p))?.reserved !== 0 && Date.now() < deadline) await sleep(100);
    } finally {
      await sweeper.stop();
    }
    expect(await stockRow(h.db, tenant, p)).toEqual({ on_hand: 3, reserved: 0 });
    const read = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${id}`,
      headers: internalHeaders(tenant),
    });
    expect(read.json().status).toBe('EXPIRED');
  });
});

describe('tenancy', () => {
  it("another tenant's reservation and stock look exactly like unknown ones", async () => {
    const owner = newTenant();
    const stranger = newTenant();
    const p = newProduct();
    await putStock(h.db, owner, p, 10);
    const id = randomUUID();
    await reserve(owner, { reservationId: id, orderId: 'o', items: [{ productId: p, quantity: 2 }] });

    const read = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${id}`,
      headers: internalHeaders(stranger),
    });
    const unknown = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${randomUUID()}`,
      headers: internalHeaders(stranger),
    });
    expectProblem(read, 404);
    expect(read.json().code).toBe(unknown.json().code);
    expectProblem(await action(stranger, id, 'commit'), 404);
    expect((await action(stranger, id, 'release')).statusCode).toBe(200);
    expectProblem(
      await h.app.inject({ method: 'GET', url: `/internal/stock/${p}`, headers: internalHeaders(stranger) }),
      404,
    );
    // The stranger can neither reserve the owner's stock nor disturb the owner's reservation.
    const theirs = await reserve(stranger, {
      reservationId: randomUUID(),
      orderId: 'o',
      items: [{ productId: p, quantity: 1 }],
    });
    expect(theirs.json().code).toBe('OUT_OF_STOCK');
    expect(await stockRow(h.db, owner, p)).toEqual({ on_hand: 10, reserved: 2 });
    const ownerRead = await h.app.inject({
      method: 'GET',
      url: `/internal/reservations/${id}`,
      headers: internalHeaders(owner),
    });
    expect(ownerRead.json().status).toBe('RESERVED');
  });

  it('the same reservation id in two tenants is two reservations', async () => {
    const t1 = newTenant();
    const t2 = newTenant();
    const p = newProduct();
    await putStock(h.db, t1, p, 5);
    await putStock(h.db, t2, p, 5);
    const body = { reservationId: 'shared-id', orderId: 'o', items: [{ productId: p, quantity: 1 }] };
    expect((await reserve(t1, body)).statusCode).toBe(201);
    expect((await reserve(t2, body)).statusCode).toBe(201);
  });
});

describe('internal authentication and bad input', () => {
  const valid = () => ({
    reservationId: randomUUID(),
    orderId: 'o',
    items: [{ productId: randomUUID(), quantity: 1 }],
  });

  it('needs the internal token (401) before looking at the body', async () => {
    const tenant = newTenant();
    const none = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: { 'x-tenant-id': tenant },
      payload: valid(),
    });
    expectProblem(none, 401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: { 'x-tenant-id': tenant, 'x-internal-token': `${INTERNAL_TOKEN}x` },
      payload: { nonsense: true },
    });
    expectProblem(wrong, 401);
    for (const url of [`/internal/reservations/x`, `/internal/stock/${randomUUID()}`]) {
      expectProblem(await h.app.inject({ method: 'GET', url, headers: { 'x-tenant-id': tenant } }), 401);
    }
    for (const verb of ['commit', 'release']) {
      expectProblem(await h.app.inject({ method: 'POST', url: `/internal/reservations/x/${verb}` }), 401);
    }
  });

  it('a user access token is not an internal token', async () => {
    const token = await h.keys.sign({ userId: randomUUID(), tenantId: newTenant(), roles: ['admin'] });
    const response = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: { authorization: `Bearer ${token}` },
      payload: valid(),
    });
    expectProblem(response, 401);
  });

  it('needs a UUID tenant header (400 naming it)', async () => {
    const missing = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: { 'x-internal-token': INTERNAL_TOKEN },
      payload: valid(),
    });
    expectProblem(missing, 400);
    expect(missing.json().detail).toContain('x-tenant-id');
    const malformed = await reserve('not-a-uuid', valid());
    expectProblem(malformed, 400);
    expect(malformed.json().detail).toContain('x-tenant-id');
  });

  const badBodies: [string, unknown, string][] = [
    ['missing items', { reservationId: 'r', orderId: 'o' }, 'items'],
    [
      'missing reservationId',
      { orderId: 'o', items: [{ productId: randomUUID(), quantity: 1 }] },
      'reservationId',
    ],
    ['missing orderId', { reservationId: 'r', items: [{ productId: randomUUID(), quantity: 1 }] }, 'orderId'],
    ['empty items', { reservationId: 'r', orderId: 'o', items: [] }, 'items'],
    [
      'zero quantity',
      { reservationId: 'r', orderId: 'o', items: [{ productId: randomUUID(), quantity: 0 }] },
      'quantity',
    ],
    [
      'fractional quantity',
      { reservationId: 'r', orderId: 'o', items: [{ productId: randomUUID(), quantity: 1.5 }] },
      'quantity',
    ],
    [
      'wrong-typed quantity',
      { reservationId: 'r', orderId: 'o', items: [{ productId: randomUUID(), quantity: 'many' }] },
      'quantity',
    ],
    [
      'productId not a UUID',
      { reservationId: 'r', orderId: 'o', items: [{ productId: 'p-1', quantity: 1 }] },
      'productId',
    ],
    ['items not an array', { reservationId: 'r', orderId: 'o', items: { productId: randomUUID() } }, 'items'],
    ['extra field', { ...valid(), priority: 'high' }, 'priority'],
    [
      'extra item field',
      { reservationId: 'r', orderId: 'o', items: [{ productId: randomUUID(), quantity: 1, price: 3 }] },
      'price',
    ],
    ['reservationId with a slash', { ...valid(), reservationId: 'a/b' }, 'reservationId'],
    ['ttl out of range', { ...valid(), ttlSeconds: 0 }, 'ttlSeconds'],
    ['body not an object', [1, 2], 'body'],
  ];
  for (const [name, payload, field] of badBodies) {
    it(`400 problem naming the field: ${name}`, async () => {
      const response = await reserve(newTenant(), payload as never);
      expectProblem(response, 400);
      const problem = response.json();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(`${problem.detail} ${JSON.stringify(problem.errors)}`).toContain(field);
    });
  }

  it('400 for malformed JSON', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: { ...internalHeaders(newTenant()), 'content-type': 'application/json' },
      payload: '{"reservationId": ',
    });
    expectProblem(response, 400);
  });

  it('400 for a stock lookup of a malformed product id', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: '/internal/stock/nope',
      headers: internalHeaders(newTenant()),
    });
    expectProblem(response, 400);
    expect(response.json().detail).toContain('productId');
  });
});
