/**
 * The checkout saga against the real catalog, inventory and payment apps (each on its own PostgreSQL database,
 * listening on loopback), driven through the order service's public API.
 */
import { randomUUID } from 'node:crypto';
import { createSagaStore } from '@glassbox/kit/saga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canTransition, ORDER_STATUSES } from '../src/domain/order-status.js';
import {
  createFaultProxy,
  eventually,
  type FaultProxy,
  INTERNAL_TOKEN,
  type OrderService,
  type Shop,
  startOrder,
  startShop,
} from './support/shop.js';

const SLOW_MS = 1_500;
let shop: Shop;
let order: OrderService;
const tenant = randomUUID();
const userId = randomUUID();
let alice: string;

interface OrderBody {
  id: string;
  status: string;
  totalCents: number | null;
  failureReason?: string;
  items: {
    productId: string;
    sku: string | null;
    unitPriceCents: number | null;
    lineTotalCents: number | null;
  }[];
}

beforeAll(async () => {
  shop = await startShop({ paymentSlowMs: SLOW_MS });
  order = await startOrder(shop);
  alice = await shop.signer.sign({ userId, tenantId: tenant });
});

afterAll(async () => {
  await order?.close();
  await shop?.close();
});

function place(
  svc: OrderService,
  items: { productId: string; quantity: number }[],
  token = 'tok_ok',
  key: string = randomUUID(),
  bearer = alice,
) {
  return svc.app.inject({
    method: 'POST',
    url: '/api/v1/orders',
    headers: { authorization: `Bearer ${bearer}`, 'idempotency-key': key },
    payload: { items, payment: { method: 'card', token } },
  });
}

async function fetchOrder(svc: OrderService, id: string): Promise<OrderBody> {
  const res = await svc.app.inject({
    url: `/api/v1/orders/${id}`,
    headers: { authorization: `Bearer ${alice}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const finalOrder = (svc: OrderService, id: string, timeoutMs = 20_000) =>
  eventually(
    () => fetchOrder(svc, id),
    (o) => o.status !== 'PENDING',
    timeoutMs,
  );

async function sagaRow(svc: OrderService, id: string) {
  const [row] = await svc.db.query<{
    status: string;
    position: number;
    attempts: number;
    payment_token: string | null;
    lease_owner: string | null;
    next_attempt_at: Date;
  }>(
    `SELECT status, position, attempts, input->>'paymentToken' AS payment_token, lease_owner, next_attempt_at
     FROM sagas WHERE type = 'checkout' AND id = $1`,
    [id],
  );
  return row;
}

describe('the checkout saga', () => {
  it('confirms an order paid with tok_ok: prices from the catalog, stock committed, payment captured', async () => {
    const mug = await shop.product(tenant, { priceCents: 1800, stock: 10 });
    const tea = await shop.product(tenant, { priceCents: 990, stock: 10 });
    const res = await place(order, [
      { productId: mug, quantity: 2 },
      { productId: tea, quantity: 1 },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'CONFIRMED', totalCents: 4590, currency: 'EUR' });
    const body = await fetchOrder(order, res.json().id);
    expect(body.items).toEqual([
      expect.objectContaining({ productId: mug, quantity: 2, unitPriceCents: 1800, lineTotalCents: 3600 }),
      expect.objectContaining({ productId: tea, quantity: 1, unitPriceCents: 990, lineTotalCents: 990 }),
    ]);
    expect(body.items[0]?.sku).toMatch(/^T-/);
    expect(await shop.stock(tenant, mug)).toMatchObject({ onHand: 8, reserved: 0 });
    expect(await shop.stock(tenant, tea)).toMatchObject({ onHand: 9, reserved: 0 });
    const payments = await shop.payments(tenant, body.id);
    expect(payments).toEqual([expect.objectContaining({ status: 'CAPTURED', capturedCents: 4590 })]);
    expect(await shop.reservation(tenant, body.id)).toMatchObject({ status: 'COMMITTED' });
    // The saga is finished and the card token is gone.
    expect(await sagaRow(order, body.id)).toMatchObject({
      status: 'COMPLETED',
      position: 4,
      payment_token: null,
      lease_owner: null,
    });
  });

  it('fails a declined card with PAYMENT_DECLINED and gives the stock back', async () => {
    const kettle = await shop.product(tenant, { priceCents: 5900, stock: 5 });
    const res = await place(order, [{ productId: kettle, quantity: 1 }], 'tok_declined');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
    expect(await shop.stock(tenant, kettle)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await shop.reservation(tenant, res.json().id)).toMatchObject({ status: 'RELEASED' });
    expect(await shop.payments(tenant, res.json().id)).toEqual([
      expect.objectContaining({ status: 'DECLINED' }),
    ]);
    expect(await sagaRow(order, res.json().id)).toMatchObject({
      status: 'FAILED',
      position: -1,
      payment_token: null,
    });
  });

  it('fails OUT_OF_STOCK without touching the payment', async () => {
    const rare = await shop.product(tenant, { stock: 1 });
    const res = await place(order, [{ productId: rare, quantity: 2 }]);
    expect(res.json()).toMatchObject({ status: 'FAILED', failureReason: 'OUT_OF_STOCK' });
    expect(await shop.payments(tenant, res.json().id)).toEqual([]);
    expect(await shop.stock(tenant, rare)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it('confirms exactly min(N, S) of N concurrent orders on stock S, the rest OUT_OF_STOCK', async () => {
    const S = 3;
    const N = 8;
    const scarce = await shop.product(tenant, { stock: S });
    const placed = await Promise.all(
      Array.from({ length: N }, () => place(order, [{ productId: scarce, quantity: 1 }])),
    );
    const finals = await Promise.all(placed.map((p) => finalOrder(order, p.json().id)));
    expect(finals.filter((o) => o.status === 'CONFIRMED')).toHaveLength(S);
    expect(finals.filter((o) => o.status === 'FAILED').every((o) => o.failureReason === 'OUT_OF_STOCK')).toBe(
      true,
    );
    expect(await shop.stock(tenant, scarce)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it('answers an unknown product with 400 naming it, and the same for a repeat', async () => {
    const real = await shop.product(tenant);
    const ghost = randomUUID();
    const key = randomUUID();
    const items = [
      { productId: real, quantity: 1 },
      { productId: ghost, quantity: 1 },
    ];
    const res = await place(order, items, 'tok_ok', key);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      reason: 'PRODUCT_NOT_FOUND',
      productIds: [ghost],
    });
    expect(res.json().errors).toEqual([
      { path: 'body/items/1/productId', message: 'is not a product of this shop' },
    ]);
    const again = await place(order, items, 'tok_ok', key);
    expect(again.statusCode).toBe(400);
    expect(again.json().orderId).toBe(res.json().orderId);
    expect(await shop.payments(tenant, res.json().orderId)).toEqual([]);
    expect(await shop.stock(tenant, real)).toMatchObject({ reserved: 0 });
  });

  it('answers 202 PENDING when the saga outlasts the budget (tok_slow), and confirms in the background', async () => {
    const product = await shop.product(tenant, { stock: 5 });
    const started = Date.now();
    const res = await place(order, [{ productId: product, quantity: 1 }], 'tok_slow');
    expect(Date.now() - started).toBeLessThan(SLOW_MS + 1_000);
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe('PENDING');
    expect(res.headers.location).toBe(`/api/v1/orders/${res.json().id}`);
    expect(res.headers['retry-after']).toBe('1');
    const done = await finalOrder(order, res.json().id);
    expect(done.status).toBe('CONFIRMED');
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 4, reserved: 0 });
  });
});

describe('failures of the dependencies', () => {
  let proxy: FaultProxy;
  let viaProxy: OrderService;

  beforeAll(async () => {
    proxy = await createFaultProxy(shop.urls.payment);
    viaProxy = await startOrder(shop, {
      paymentUrl: proxy.url,
      paymentTimeoutMs: 500,
      saga: { recovery: true },
    });
  });
  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
  });

  it('keeps the order PENDING through a payment outage and confirms it when payment is back', async () => {
    proxy.mode = () => 'unavailable';
    const product = await shop.product(tenant, { stock: 5 });
    const res = await place(viaProxy, [{ productId: product, quantity: 1 }]);
    expect(res.statusCode).toBe(202);
    const id = res.json().id;
    const deferred = await eventually(
      () => sagaRow(viaProxy, id),
      (r) => (r?.attempts ?? 0) >= 1,
    );
    expect(deferred).toMatchObject({ status: 'RUNNING', position: 2 });
    expect((await fetchOrder(viaProxy, id)).status).toBe('PENDING');
    expect(await shop.stock(tenant, product)).toMatchObject({ reserved: 1 });
    proxy.mode = () => 'pass';
    const done = await finalOrder(viaProxy, id);
    expect(done.status).toBe('CONFIRMED');
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it('gives up after its attempts and compensates: FAILED as DEPENDENCY_UNAVAILABLE, stock released', async () => {
    proxy.mode = (req) => (req.url?.startsWith('/internal/payments/authorize') ? 'unavailable' : 'pass');
    const product = await shop.product(tenant, { stock: 5 });
    const res = await place(viaProxy, [{ productId: product, quantity: 2 }]);
    const done = await finalOrder(viaProxy, res.json().id);
    expect(done).toMatchObject({ status: 'FAILED', failureReason: 'DEPENDENCY_UNAVAILABLE' });
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await shop.reservation(tenant, res.json().id)).toMatchObject({ status: 'RELEASED' });
    proxy.mode = () => 'pass';
  });

  it('cancels an order parked by an outage at once: the stock comes back, no payment is ever made', async () => {
    proxy.mode = () => 'unavailable';
    const product = await shop.product(tenant, { stock: 5 });
    const res = await place(viaProxy, [{ productId: product, quantity: 2 }]);
    const id = res.json().id;
    await eventually(
      () => sagaRow(viaProxy, id),
      (r) => (r?.attempts ?? 0) >= 1 && r?.lease_owner === null,
    );
    const cancel = await viaProxy.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${id}/cancel`,
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ id, status: 'CANCELLED', failureReason: 'CANCELLED' });
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await shop.payments(tenant, id)).toEqual([]);
    proxy.mode = () => 'pass';
  });

  it('does not take a reservation released meanwhile for a held one when it repeats reserve', async () => {
    proxy.mode = () => 'unavailable';
    const product = await shop.product(tenant, { stock: 5 });
    const res = await place(viaProxy, [{ productId: product, quantity: 1 }]);
    const id = res.json().id;
    await eventually(
      () => sagaRow(viaProxy, id),
      (r) => (r?.attempts ?? 0) >= 1 && r?.lease_owner === null,
    );
    // As if the save after reserve had been lost, and the reservation expired while the saga waited.
    await viaProxy.db.query(
      `UPDATE sagas SET position = 1, results = results - 'reserve', attempts = 0, next_attempt_at = now() + interval '1 hour'
       WHERE type = 'checkout' AND id = $1`,
      [id],
    );
    const released = await fetch(`${shop.urls.inventory}/internal/reservations/order-${id}/release`, {
      method: 'POST',
      headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenant },
    });
    expect(released.status).toBe(200);
    proxy.mode = () => 'pass';
    await viaProxy.db.query("UPDATE sagas SET next_attempt_at = now() WHERE type = 'checkout' AND id = $1", [
      id,
    ]);
    const done = await finalOrder(viaProxy, id);
    expect(done).toMatchObject({ status: 'FAILED', failureReason: 'RESERVATION_EXPIRED' });
    expect(await shop.payments(tenant, id)).toEqual([]);
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  it('voids an authorization whose answer was lost when it gives up on the payment service', async () => {
    // The payment service authorizes, but every answer to authorize is lost on the way back.
    proxy.mode = (req) => (req.url?.startsWith('/internal/payments/authorize') ? 'drop-answer' : 'pass');
    const product = await shop.product(tenant, { stock: 5 });
    const res = await place(viaProxy, [{ productId: product, quantity: 1 }]);
    const done = await finalOrder(viaProxy, res.json().id);
    expect(done).toMatchObject({ status: 'FAILED', failureReason: 'DEPENDENCY_UNAVAILABLE' });
    expect(await shop.payments(tenant, res.json().id)).toEqual([
      expect.objectContaining({ status: 'VOIDED' }),
    ]);
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 5, reserved: 0 });
    proxy.mode = () => 'pass';
  });
});

describe('cancellation', () => {
  it('cancels an order whose card is being authorized: the payment is voided and the stock released', async () => {
    const product = await shop.product(tenant, { stock: 5 });
    const svc = await startOrder(shop, { syncBudgetMs: 100 });
    try {
      const res = await place(svc, [{ productId: product, quantity: 1 }], 'tok_slow');
      expect(res.statusCode).toBe(202);
      const id = res.json().id;
      await eventually(
        () => shop.payments(tenant, id),
        (p) => p.length === 1,
      );
      const cancel = await svc.app.inject({
        method: 'POST',
        url: `/api/v1/orders/${id}/cancel`,
        headers: { authorization: `Bearer ${alice}` },
      });
      expect([200, 202]).toContain(cancel.statusCode);
      const done = await finalOrder(svc, id);
      expect(done).toMatchObject({ status: 'CANCELLED', failureReason: 'CANCELLED' });
      expect(await shop.payments(tenant, id)).toEqual([expect.objectContaining({ status: 'VOIDED' })]);
      expect(await shop.reservation(tenant, id)).toMatchObject({ status: 'RELEASED' });
      expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 5, reserved: 0 });
      expect(await sagaRow(svc, id)).toMatchObject({ status: 'FAILED', payment_token: null });
    } finally {
      await svc.close();
    }
  });
});

describe('ownership and recovery', () => {
  it('a worker whose lease was taken stops without writing; the saga resumes from its persisted step', async () => {
    const product = await shop.product(tenant, { stock: 5 });
    const svc = await startOrder(shop, { syncBudgetMs: 100 });
    try {
      const res = await place(svc, [{ productId: product, quantity: 1 }], 'tok_slow');
      expect(res.statusCode).toBe(202);
      const id = res.json().id;
      // Wait until the saga is inside authorize (the provider takes SLOW_MS), then take its lease away.
      await eventually(
        () => shop.payments(tenant, id),
        (p) => p.length === 1,
      );
      expect(await sagaRow(svc, id)).toMatchObject({ position: 2 });
      await svc.db.query(
        `UPDATE sagas SET lease_owner = 'another-worker', lease_until = now() + interval '1 hour' WHERE type = 'checkout' AND id = $1`,
        [id],
      );
      // The first worker finishes its call to payment, fails to save, and stops.
      await eventually(
        async () => svc.worker.inFlight(),
        (n) => n === 0,
        10_000,
      );
      expect(await sagaRow(svc, id)).toMatchObject({
        status: 'RUNNING',
        position: 2,
        lease_owner: 'another-worker',
      });
      expect((await fetchOrder(svc, id)).status).toBe('PENDING');
      // The other worker "dies": its lease expires, and recovery resumes at authorize (repeated safely).
      await svc.db.query(
        `UPDATE sagas SET lease_until = now() - interval '1 second' WHERE type = 'checkout' AND id = $1`,
        [id],
      );
      expect(await svc.worker.recoverOnce()).toBe(1);
      const done = await finalOrder(svc, id);
      expect(done.status).toBe('CONFIRMED');
      expect(await shop.payments(tenant, id)).toEqual([expect.objectContaining({ status: 'CAPTURED' })]);
      expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 4, reserved: 0 });
    } finally {
      await svc.close();
    }
  });

  it('two workers never claim the same saga (FOR UPDATE SKIP LOCKED + lease)', async () => {
    const product = await shop.product(tenant, { stock: 100 });
    const proxy = await createFaultProxy(shop.urls.payment);
    proxy.mode = () => 'unavailable';
    const a = await startOrder(shop, {
      paymentUrl: proxy.url,
      saga: { retryBaseMs: 60_000, retryMaxMs: 60_000 },
    });
    const b = await startOrder(shop, {
      paymentUrl: proxy.url,
      database: a.database,
      saga: { workerId: 'worker-b' },
    });
    try {
      // Twelve sagas, parked by a payment outage with their retry far in the future.
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await place(a, [{ productId: product, quantity: 1 }], 'tok_ok', randomUUID());
        ids.push(res.json().id);
      }
      await eventually(
        async () =>
          (
            await a.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM sagas WHERE attempts = 1 AND lease_owner IS NULL`,
            )
          )[0]?.n,
        (n) => n === 12,
      );
      // Claims racing on the same rows are disjoint.
      await a.db.query('UPDATE sagas SET next_attempt_at = now()');
      const repoA = createSagaStore(a.db, 'checkout');
      const repoB = createSagaStore(b.db, 'checkout');
      const [ca, cb] = await Promise.all([
        repoA.claimDue('claimer-a', 5_000, 100),
        repoB.claimDue('claimer-b', 5_000, 100),
      ]);
      const claimed = [...ca, ...cb].map((c) => c.id);
      expect(claimed.sort()).toEqual([...ids].sort());
      expect(new Set(claimed).size).toBe(12);
      // A leased saga is not claimed again, renewed by or saved for another worker.
      expect(await repoA.claimDue('claimer-c', 5_000, 100)).toEqual([]);
      const victim = ca[0] ?? cb[0];
      const owner = ca[0] ? 'claimer-a' : 'claimer-b';
      expect(await repoA.renewLease(victim!.id, 'claimer-c', 5_000)).toBe(false);
      expect(await repoA.renewLease(victim!.id, owner, 5_000)).toBe(true);
      const state = { status: 'RUNNING' as const, position: 2, results: {}, failure: null, attempts: 0 };
      expect(
        (await repoA.save(victim!.id, 'claimer-c', state, { type: 'step-completed', step: 'x' })).held,
      ).toBe(false);

      // Now the real workers: both recover at once, every saga runs exactly once.
      await a.db.query('UPDATE sagas SET lease_owner = NULL, lease_until = NULL, next_attempt_at = now()');
      proxy.mode = () => 'pass';
      const hitsBefore = proxy.hits;
      const [na, nb] = await Promise.all([a.worker.recoverOnce(), b.worker.recoverOnce()]);
      expect(na + nb).toBe(12);
      const finals = await Promise.all(ids.map((id) => finalOrder(a, id)));
      expect(finals.every((o) => o.status === 'CONFIRMED')).toBe(true);
      // One authorize and one capture per saga through the proxy: nobody ran a saga twice.
      expect(proxy.hits - hitsBefore).toBe(24);
      expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 88, reserved: 0 });
    } finally {
      await b.close();
      await a.close();
      await proxy.close();
    }
  });
});

describe('the order lifecycle in the database', () => {
  it('refuses every transition the table does not allow, whoever writes it', async () => {
    const id = randomUUID();
    const attempt = async (from: string, to: string) => {
      await order.db.query('DELETE FROM orders WHERE id = $1', [id]);
      await order.db.query(
        `INSERT INTO orders (id, tenant_id, user_id, status, idempotency_key, request_hash) VALUES ($1, $2, 'u', $3, $4, 'h')`,
        [id, tenant, from, randomUUID()],
      );
      try {
        await order.db.query('UPDATE orders SET status = $2 WHERE id = $1', [id, to]);
        return true;
      } catch (error) {
        expect((error as Error).message).toMatch(/illegal order transition/);
        return false;
      }
    };
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        if (from === to) continue;
        expect(await attempt(from, to), `${from} → ${to}`).toBe(canTransition(from, to));
      }
    }
    await order.db.query('DELETE FROM orders WHERE id = $1', [id]);
  });
});
