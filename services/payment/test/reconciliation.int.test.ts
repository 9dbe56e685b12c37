/**
 * Reconciliation (issue 10 §5): each mismatch is made by hand — real payments through the internal API, order
 * outcomes published on the bus as the order service would — and the periodic round reports it at
 * GET /api/v1/admin/reconciliation/reports; a payment and an order that agree are not reported, nor another
 * tenant's mismatches.
 */
import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { type Bus, createBus, createEvent, migrateKitTables } from '@glassbox/kit/bus';
import {
  type CapturedTelemetry,
  captureTelemetry,
  createTestDatabase,
  createTestKeys,
  type TestDatabase,
  type TestKeys,
} from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconciliationRepo } from '../src/adapters/reconciliation-repo.js';
import { buildApp } from '../src/app.js';

const INTERNAL = 'test-internal-token-0123456789';
const TENANT = randomUUID();
const OTHER_TENANT = randomUUID();
let database: TestDatabase;
let busDb: TestDatabase;
let db: Db;
let bus: Bus;
let app: ServiceApp;
let keys: TestKeys;
let telemetry: CapturedTelemetry;

beforeAll(async () => {
  // An in-memory SDK, so the gauge can be read as exported.
  telemetry = captureTelemetry();
  [database, busDb] = await Promise.all([
    createTestDatabase('payment_rec'),
    createTestDatabase('payment_rec_bus'),
  ]);
  db = createDb(database.url);
  await migrateKitTables(db, ['outbox', 'inbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  keys = await createTestKeys();
  const logger = createLogger('payment', 'silent');
  bus = await createBus({ url: busDb.url, logger });
  app = await buildApp({
    db,
    logger,
    auth: { keys: keys.keys },
    internalToken: INTERNAL,
    slowMs: 100,
    webhookSecret: 'whsec_test_secret_0123456789',
    webhookToleranceSeconds: 300,
    bus,
    outboxIntervalMs: 200,
    reconciliation: { intervalMs: 200, graceMs: 0 },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  await Promise.all([database?.drop(), busDb?.drop()]);
  await telemetry?.shutdown();
});

/** A payment of `amountCents` for a new order, captured. */
async function captured(
  tenantId: string,
  amountCents: number,
): Promise<{ orderId: string; paymentId: string }> {
  const orderId = randomUUID();
  const headers = { 'x-internal-token': INTERNAL, 'x-tenant-id': tenantId, 'idempotency-key': orderId };
  const res = await app.inject({
    method: 'POST',
    url: '/internal/payments/authorize',
    headers,
    payload: { orderId, amountCents, currency: 'EUR', token: 'tok_ok' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const { paymentId } = res.json() as { paymentId: string };
  const capture = await app.inject({
    method: 'POST',
    url: `/internal/payments/${paymentId}/capture`,
    headers,
  });
  expect(capture.statusCode, capture.body).toBe(200);
  return { orderId, paymentId };
}

const now = () => new Date().toISOString();

async function confirmed(tenantId: string, orderId: string, totalCents: number): Promise<void> {
  await bus.publish([
    createEvent(
      'order.confirmed',
      {
        tenantId,
        orderId,
        userId: 'alice',
        totalCents,
        currency: 'EUR',
        items: [{ productId: randomUUID(), quantity: 1, name: 'Thing', unitPriceCents: totalCents }],
        confirmedAt: now(),
      },
      { source: 'order', subject: orderId },
    ),
  ]);
}

async function failed(tenantId: string, orderId: string): Promise<void> {
  await bus.publish([
    createEvent(
      'order.failed',
      { tenantId, orderId, userId: 'alice', reason: 'RESERVATION_EXPIRED', failedAt: now() },
      { source: 'order', subject: orderId },
    ),
  ]);
}

interface Report {
  ranAt: string;
  counts: Record<string, number>;
  mismatches: {
    kind: string;
    orderId: string;
    paymentId: string | null;
    expectedCents: number | null;
    capturedCents: number;
    orderStatus: string | null;
  }[];
}

async function latestReport(tenantId: string): Promise<Report | undefined> {
  const admin = await keys.sign({ userId: randomUUID(), tenantId, roles: ['admin'] });
  const res = await app.inject({
    url: '/api/v1/admin/reconciliation/reports?limit=1',
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { items: Report[] }).items[0];
}

async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

describe('reconciliation', () => {
  it('reports captured without a confirmed order, confirmed without a capture and amounts that differ', async () => {
    // Captured, but the order failed.
    const orphan = await captured(TENANT, 1500);
    await failed(TENANT, orphan.orderId);
    // Captured, and no order ever heard of (grace 0).
    const unheard = await captured(TENANT, 700);
    // Confirmed, and nothing captured for it.
    const unpaidOrder = randomUUID();
    await confirmed(TENANT, unpaidOrder, 2500);
    // Confirmed at one total, captured at another.
    const differing = await captured(TENANT, 1000);
    await confirmed(TENANT, differing.orderId, 1200);
    // In agreement: never reported.
    const fine = await captured(TENANT, 900);
    await confirmed(TENANT, fine.orderId, 900);
    // Another tenant's mismatch stays in that tenant's report.
    const foreign = await captured(OTHER_TENANT, 300);

    const report = await until(
      () => latestReport(TENANT),
      // A round may run before the orphan's order.failed is consumed (then its order status is still unknown):
      // wait for the round that has heard every outcome.
      (r) =>
        r?.counts.CONFIRMED_WITHOUT_CAPTURE === 1 &&
        r.counts.AMOUNT_MISMATCH === 1 &&
        r.counts.CAPTURED_WITHOUT_CONFIRMED_ORDER === 2 &&
        r.mismatches.some((m) => m.orderId === orphan.orderId && m.orderStatus === 'FAILED'),
    );
    expect(report?.counts).toEqual({
      CAPTURED_WITHOUT_CONFIRMED_ORDER: 2,
      CONFIRMED_WITHOUT_CAPTURE: 1,
      AMOUNT_MISMATCH: 1,
    });
    const mismatches = report?.mismatches ?? [];
    expect(mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'CAPTURED_WITHOUT_CONFIRMED_ORDER',
          orderId: orphan.orderId,
          paymentId: orphan.paymentId,
          orderStatus: 'FAILED',
          capturedCents: 1500,
        }),
        expect.objectContaining({
          kind: 'CAPTURED_WITHOUT_CONFIRMED_ORDER',
          orderId: unheard.orderId,
          orderStatus: null,
          capturedCents: 700,
        }),
        expect.objectContaining({
          kind: 'CONFIRMED_WITHOUT_CAPTURE',
          orderId: unpaidOrder,
          paymentId: null,
          expectedCents: 2500,
          capturedCents: 0,
        }),
        expect.objectContaining({
          kind: 'AMOUNT_MISMATCH',
          orderId: differing.orderId,
          expectedCents: 1200,
          capturedCents: 1000,
        }),
      ]),
    );
    expect(mismatches.map((m) => m.orderId)).not.toContain(fine.orderId);
    expect(mismatches.map((m) => m.orderId)).not.toContain(foreign.orderId);
    // Its report may come from the next round (the one that found this tenant's may have begun before it).
    const other = await until(
      () => latestReport(OTHER_TENANT),
      (r) => r?.mismatches.some((m) => m.orderId === foreign.orderId) === true,
    );
    expect(other?.mismatches.map((m) => m.orderId)).toEqual([foreign.orderId]);
    // The gauge: the last round's counts over all tenants (the other tenant's capture included).
    const gauge = async () =>
      Object.fromEntries(
        (await telemetry.points('glassbox.reconciliation.mismatches')).map((p) => [
          p.attributes['glassbox.kind'],
          p.value,
        ]),
      );
    expect(await gauge()).toEqual({
      CAPTURED_WITHOUT_CONFIRMED_ORDER: 3,
      CONFIRMED_WITHOUT_CAPTURE: 1,
      AMOUNT_MISMATCH: 1,
    });
  });

  it('reports a capture younger than the grace period only once its order is heard of', async () => {
    // The same query as the rounds, with a grace that covers the capture just made.
    const repo = createReconciliationRepo(db);
    const young = await captured(TENANT, 400);
    const ids = async () => (await repo.mismatches(60_000)).map((m) => m.orderId);
    expect(await ids()).not.toContain(young.orderId);
    await failed(TENANT, young.orderId);
    expect(await until(ids, (list) => list.includes(young.orderId))).toContain(young.orderId);
  });

  it('leaves out payments made before order outcomes were recorded (an upgraded installation)', async () => {
    const repo = createReconciliationRepo(db);
    const old = await captured(TENANT, 600);
    const ids = async () => (await repo.mismatches(0)).map((m) => m.orderId);
    expect(await ids()).toContain(old.orderId);
    await db.query(
      `UPDATE payments SET created_at = (SELECT since FROM reconciliation_since) - interval '1 day'
                     WHERE id = $1`,
      [old.paymentId],
    );
    expect(await ids()).not.toContain(old.orderId);
  });
});
