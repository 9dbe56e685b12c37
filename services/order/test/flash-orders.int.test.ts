/**
 * Flash-sale purchases become orders over the bus (issue 10 §3, order side): the real flash-sale app (embedded
 * admission) and the real order app share a PostgreSQL bus, as two processes would. An accepted purchase becomes
 * an order whose id is the purchase id, priced at the flash price, against the sale's reservation (no reservation
 * of its own, no second stock check); paid → CONFIRMED, and the purchase CONFIRMED; declined → FAILED, and the
 * purchase RELEASED with its unit back on sale. A redelivered purchase creates no second order.
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import { createDb, createLogger, type Db, migrate, migrateKitTables } from '@glassbox/kit';
import { type Bus, createBus, createEvent } from '@glassbox/kit/bus';
import {
  type CapturedTelemetry,
  captureTelemetry,
  createTestDatabase,
  type TestDatabase,
} from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildFlashSale, type FlashSaleApp } from '../../flash-sale/src/app.js';
import { createOrderRepo, type OrderRepo } from '../src/adapters/order-repo.js';
import {
  eventually,
  INTERNAL_TOKEN,
  type OrderService,
  type Shop,
  startOrder,
  startShop,
} from './support/shop.js';

const tenant = randomUUID();
const FLASH_PRICE = 1999;
const CATALOG_PRICE = 5000;

let shop: Shop;
let order: OrderService;
let orders: OrderRepo;
let busDb: TestDatabase;
let flashDbInfo: TestDatabase;
let flashDb: Db;
let orderBus: Bus;
let flashBus: Bus;
let flash: FlashSaleApp;
let admin: string;
let product: string;
let telemetry: CapturedTelemetry;

beforeAll(async () => {
  // An in-memory SDK, so the events carry trace context and the spans can be read.
  telemetry = captureTelemetry();
  shop = await startShop({ paymentSlowMs: 2_000 });
  busDb = await createTestDatabase('order_flash_bus');
  orderBus = await createBus({ url: busDb.url, logger: createLogger('bus', 'silent'), name: 'order' });
  flashBus = await createBus({ url: busDb.url, logger: createLogger('bus', 'silent'), name: 'flash-sale' });
  order = await startOrder(shop, { bus: orderBus, saga: { recovery: true } });
  orders = createOrderRepo(order.db);
  flashDbInfo = await createTestDatabase('order_flash_sale');
  flashDb = createDb(flashDbInfo.url, { max: 10 });
  await migrateKitTables(flashDb, ['outbox', 'inbox']);
  await migrate(flashDb, new URL('../../flash-sale/migrations/', import.meta.url));
  flash = await buildFlashSale({
    db: flashDb,
    bus: flashBus,
    logger: createLogger('flash-sale', 'silent'),
    internalToken: INTERNAL_TOKEN,
    auth: { keys: shop.signer.keys },
    inventoryUrl: shop.urls.inventory,
    redisUrl: '',
    replica: `test-${randomUUID()}`,
    queueMax: 1000,
    outboxIntervalMs: 200,
  });
  await flash.app.ready();
  admin = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant, roles: ['admin'] });
  product = await shop.product(tenant, { priceCents: CATALOG_PRICE, stock: 10 });
}, 60_000);

afterAll(async () => {
  await flash?.app.close();
  await order?.close();
  await orderBus?.close();
  await flashBus?.close();
  await flashDb?.close();
  await flashDbInfo?.drop();
  await busDb?.drop();
  await shop?.close();
  await telemetry?.shutdown();
});

async function createSale(quantity: number): Promise<string> {
  const res = await flash.app.inject({
    method: 'POST',
    url: '/api/v1/admin/flash-sales',
    headers: { authorization: `Bearer ${admin}` },
    payload: {
      productId: product,
      quantity,
      priceCents: FLASH_PRICE,
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      perUserLimit: 5,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

async function buy(saleId: string, token: string, card: string): Promise<string> {
  const res = await flash.app.inject({
    method: 'POST',
    url: `/api/v1/flash-sales/${saleId}/purchases`,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
    payload: { quantity: 1, payment: { method: 'card', token: card } },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { purchaseId: string }).purchaseId;
}

async function purchase(saleId: string, purchaseId: string, token: string) {
  const res = await flash.app.inject({
    url: `/api/v1/flash-sales/${saleId}/purchases/${purchaseId}`,
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { status: string; orderId: string | null };
}

async function remaining(saleId: string): Promise<number> {
  const res = await flash.app.inject({
    url: `/api/v1/flash-sales/${saleId}`,
    headers: { authorization: `Bearer ${admin}` },
  });
  return (res.json() as { remaining: number }).remaining;
}

describe('flash-sale purchases become orders', () => {
  it('a paid purchase → an order CONFIRMED at the flash price, captured, no second reservation → purchase CONFIRMED', async () => {
    const saleId = await createSale(3);
    const userId = randomUUID();
    const token = await shop.signer.sign({ userId, tenantId: tenant });
    const before = await shop.stock(tenant, product);
    const purchaseId = await buy(saleId, token, 'tok_ok');

    const made = await eventually(
      () => orders.get(tenant, purchaseId),
      (o) => o?.status === 'CONFIRMED' || o?.status === 'FAILED',
    );
    expect(made).toMatchObject({ id: purchaseId, userId, status: 'CONFIRMED', totalCents: FLASH_PRICE });
    expect(made?.items).toEqual([
      expect.objectContaining({ productId: product, quantity: 1, unitPriceCents: FLASH_PRICE }),
    ]);
    const payments = await shop.payments(tenant, purchaseId);
    expect(payments).toEqual([expect.objectContaining({ status: 'CAPTURED', capturedCents: FLASH_PRICE })]);
    // Against the sale's reservation: the order held nothing of its own and took no stock a second time.
    expect(await shop.reservation(tenant, purchaseId)).toBeUndefined();
    expect(await shop.stock(tenant, product)).toEqual(before);

    const settled = await eventually(
      () => purchase(saleId, purchaseId, token),
      (p) => p.status === 'CONFIRMED',
    );
    expect(settled).toMatchObject({ status: 'CONFIRMED', orderId: purchaseId });
    expect(await remaining(saleId)).toBe(2);

    // A late flash.purchase.ordered (after the outcome) does not move the purchase back.
    const late = createEvent(
      'flash.purchase.ordered',
      { tenantId: tenant, purchaseId, orderId: purchaseId, orderedAt: new Date().toISOString() },
      { source: 'order', subject: purchaseId },
    );
    await orderBus.publish([late]);
    await eventually(
      async () => (await flashDb.query('SELECT 1 FROM inbox WHERE event_id = $1', [late.id])).length,
      (n) => n === 1,
    );
    expect((await purchase(saleId, purchaseId, token)).status).toBe('CONFIRMED');
  });

  it("the order's saga runs in the purchase's trace (the bus's consumer span a child of the producer's)", async () => {
    const saleId = await createSale(1);
    const token = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant });
    telemetry.reset();
    const purchaseId = await buy(saleId, token, 'tok_ok');
    await eventually(
      () => orders.get(tenant, purchaseId),
      (o) => o?.status === 'CONFIRMED',
    );
    const spans = await eventually(
      async () => telemetry.spans(),
      (all) => all.some((s) => s.name === 'checkout saga'),
    );
    const created = spans.find((s) => s.name === 'create flash.purchase.accepted');
    const processed = spans.find((s) => s.name === 'process flash.purchase.accepted');
    const saga = spans.find((s) => s.name === 'checkout saga');
    expect(created && processed && saga, spans.map((s) => s.name).join(', ')).toBeTruthy();
    const traceId = created?.spanContext().traceId;
    expect(processed?.spanContext().traceId).toBe(traceId);
    expect(processed?.parentSpanContext?.spanId).toBe(created?.spanContext().spanId);
    expect(saga?.spanContext().traceId).toBe(traceId);
  });

  it('the purchase is ORDERED while its order is being paid, then CONFIRMED', async () => {
    const saleId = await createSale(1);
    const token = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant });
    // tok_slow: the provider takes 2 s to approve, so the order stays PENDING that long.
    const purchaseId = await buy(saleId, token, 'tok_slow');
    const ordered = await eventually(
      () => purchase(saleId, purchaseId, token),
      (p) => p.status !== 'ACCEPTED',
    );
    expect(ordered).toMatchObject({ status: 'ORDERED', orderId: purchaseId });
    expect((await orders.get(tenant, purchaseId))?.status).toBe('PENDING');
    const settled = await eventually(
      () => purchase(saleId, purchaseId, token),
      (p) => p.status === 'CONFIRMED',
    );
    expect(settled.status).toBe('CONFIRMED');
  });

  it('a declined card → the order FAILED (authorization refused) → the purchase RELEASED and its unit on sale again', async () => {
    const saleId = await createSale(1);
    const token = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant });
    const purchaseId = await buy(saleId, token, 'tok_declined');
    expect(await remaining(saleId)).toBe(0);

    const made = await eventually(
      () => orders.get(tenant, purchaseId),
      (o) => o?.status === 'CONFIRMED' || o?.status === 'FAILED',
    );
    expect(made).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
    const settled = await eventually(
      () => purchase(saleId, purchaseId, token),
      (p) => p.status === 'RELEASED',
    );
    expect(settled.status).toBe('RELEASED');
    expect(
      await eventually(
        () => remaining(saleId),
        (r) => r === 1,
      ),
    ).toBe(1);
  });

  it('a purchase announced twice makes one order and one saga', async () => {
    const saleId = await createSale(1);
    const token = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant });
    const purchaseId = await buy(saleId, token, 'tok_ok');
    await eventually(
      () => orders.get(tenant, purchaseId),
      (o) => o?.status === 'CONFIRMED',
    );
    // The same purchase announced again under another event id (the inbox cannot recognise it): the order's
    // own key (one order per purchase) must.
    const [row] = await flashDb.query<{ event: CloudEvent }>(
      `SELECT event FROM outbox WHERE type = 'flash.purchase.accepted' AND event->'data'->>'purchaseId' = $1`,
      [purchaseId],
    );
    expect(row).toBeDefined();
    const again = { ...(row as { event: CloudEvent }).event, id: randomUUID() };
    await flashBus.publish([again]);
    await eventually(
      async () =>
        (
          await order.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM inbox WHERE consumer = 'order.flash-purchases' AND event_id = $1`,
            [again.id],
          )
        )[0]?.n ?? 0,
      (n) => n === 1,
    );
    const counts = await order.db.query<{ orders: number; sagas: number }>(
      `SELECT (SELECT count(*)::int FROM orders WHERE id = $1) AS orders,
              (SELECT count(*)::int FROM sagas WHERE id = $1) AS sagas`,
      [purchaseId],
    );
    expect(counts[0]).toEqual({ orders: 1, sagas: 1 });
  });
});
