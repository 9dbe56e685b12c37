/**
 * The order service announces final statuses through its outbox: order.confirmed, order.failed and
 * order.cancelled reach a consumer of the bus (the PostgreSQL bus, as in embedded mode); the event is written in
 * the transaction of the status change, so a rollback leaves none. (Trace context in the event: the e2e tests,
 * where the telemetry SDK runs.)
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import { createLogger } from '@glassbox/kit';
import { type Bus, createBus } from '@glassbox/kit/bus';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderRepo } from '../src/adapters/order-repo.js';
import { announceFinished } from '../src/app/order-events.js';
import { eventually, type OrderService, type Shop, startOrder, startShop } from './support/shop.js';

let shop: Shop;
let order: OrderService;
let busDb: TestDatabase;
let bus: Bus;
const received: CloudEvent[] = [];
const tenant = randomUUID();
const userId = randomUUID();
let token: string;
let product: string;

beforeAll(async () => {
  shop = await startShop({ paymentSlowMs: 8_000 });
  busDb = await createTestDatabase('order_bus');
  const logger = createLogger('order-events-test', 'silent');
  bus = await createBus({ url: busDb.url, logger });
  await bus.subscribe({
    group: 'test.order-events',
    types: ['order.confirmed', 'order.failed', 'order.cancelled'],
    handle: async (event) => {
      received.push(event);
    },
  });
  order = await startOrder(shop, { bus, syncBudgetMs: 3_000 });
  token = await shop.signer.sign({ userId, tenantId: tenant });
  product = await shop.product(tenant, { priceCents: 1250, stock: 100 });
}, 60_000);

afterAll(async () => {
  await order?.close();
  await bus?.close();
  await busDb?.drop();
  await shop?.close();
});

async function place(cardToken: string): Promise<{ id: string; status: string }> {
  const res = await order.app.inject({
    method: 'POST',
    url: '/api/v1/orders',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
    payload: { items: [{ productId: product, quantity: 2 }], payment: { method: 'card', token: cardToken } },
  });
  expect([201, 202]).toContain(res.statusCode);
  return res.json() as { id: string; status: string };
}

async function eventFor(orderId: string): Promise<CloudEvent | undefined> {
  return eventually(
    async () => received.find((e) => e.subject === orderId),
    (e) => e !== undefined,
  );
}

describe('order events', () => {
  it('announces a confirmed order once, with its lines and total, exactly one outbox row', async () => {
    const placed = await place('tok_ok');
    expect(placed.status).toBe('CONFIRMED');
    const event = await eventFor(placed.id);
    expect(event).toMatchObject({
      type: 'order.confirmed',
      source: '/glassbox/order',
      data: {
        tenantId: tenant,
        orderId: placed.id,
        userId,
        totalCents: 2500,
        currency: 'EUR',
        items: [{ productId: product, quantity: 2, unitPriceCents: 1250 }],
      },
    });
    const rows = await order.db.query('SELECT 1 FROM outbox WHERE event->>$1 = $2', ['subject', placed.id]);
    expect(rows).toHaveLength(1);
  });

  it('announces a failed order with its reason', async () => {
    const placed = await place('tok_declined');
    expect(placed.status).toBe('FAILED');
    expect(await eventFor(placed.id)).toMatchObject({
      type: 'order.failed',
      data: { orderId: placed.id, userId, reason: 'PAYMENT_DECLINED' },
    });
  });

  it('announces a cancelled order', async () => {
    const res = await order.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      payload: {
        items: [{ productId: product, quantity: 1 }],
        payment: { method: 'card', token: 'tok_slow' },
      },
    });
    const { id } = res.json() as { id: string };
    await order.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${id}/cancel`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await eventFor(id)).toMatchObject({ type: 'order.cancelled', data: { orderId: id, userId } });
  });

  it('writes no event when the status change rolls back', async () => {
    // A pending order (tok_slow: undecided for 8 s), moved to CONFIRMED and announced in a transaction that fails.
    const res = await order.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      payload: {
        items: [{ productId: product, quantity: 1 }],
        payment: { method: 'card', token: 'tok_slow' },
      },
    });
    const { id } = res.json() as { id: string };
    if (!order.outbox) throw new Error('the order app has no outbox');
    const announce = announceFinished(order.outbox);
    const repo = createOrderRepo(order.db);
    await expect(
      order.db.tx(async (q) => {
        const { userId: owner } = await repo.finish(q, tenant, id, 'FAILED', {
          step: 'test',
          reason: 'TEST',
          detail: 'rolled back',
        });
        await announce(q, {
          tenantId: tenant,
          orderId: id,
          userId: owner,
          status: 'FAILED',
          priced: undefined,
          failure: null,
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const rows = await order.db.query('SELECT 1 FROM outbox WHERE event->>$1 = $2', ['subject', id]);
    expect(rows).toHaveLength(0);
    // Cancelled for real, so the test leaves no saga running.
    await order.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${id}/cancel`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await eventFor(id)).toMatchObject({ type: 'order.cancelled' });
  });

  it('keeps checking out while the bus is gone: the events wait in the outbox and /readyz says degraded', async () => {
    // Last: the bus is closed for good here (as unreachable as a stopped broker, to the relay and the check).
    await bus.close();
    const placed = await place('tok_ok');
    expect(placed.status).toBe('CONFIRMED');
    const held = await order.db.query('SELECT 1 FROM outbox WHERE sent_at IS NULL AND event->>$1 = $2', [
      'subject',
      placed.id,
    ]);
    expect(held).toHaveLength(1);
    const ready = await order.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'degraded' });
    expect(JSON.stringify(ready.json().checks)).toMatch(/event\(s\) held in the outbox/);
  });
});
